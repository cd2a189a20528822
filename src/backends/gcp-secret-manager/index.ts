/**
 * `gcp`: Google Cloud Secret Manager through `@google-cloud/secret-manager` (5.x, 6.x, 7.x).
 *
 * A credential is one secret (see `names.ts`); each write adds a secret version, whose number is
 * the record's version (Secret Manager numbers versions 1, 2, 3… per secret). Payloads carry a
 * CRC32C on every write and are checked against it on every read, so a corrupted payload is an
 * `IntegrityError`, never data. Writes take a claim on the next version first (`claim.ts`,
 * `write.ts`), so compare-and-set is atomic and concurrent writes each get their own version.
 * Soft delete disables the latest version, restore enables it, purge destroys every version and
 * deletes the secret (`delete.ts`).
 */
import type { Backend } from "../../core/backend.js";
import type { BackendDefinition } from "../../kit/definition.js";
import {
  type GcpSecretManagerBackendOptions,
  missingVariables,
  optionsFromEnv,
  VARIABLES,
} from "./config.js";
import { createContext } from "./context.js";
import { purge, switchLatest } from "./delete.js";
import { NAME } from "./errors.js";
import { listPage } from "./list.js";
import { getRecord } from "./read.js";
import { putRecord } from "./write.js";

export { crc32c } from "../../kit/crc32c.js";
export type { GoogleCredentialsJson } from "./auth.js";
export type { SecretManagerClient, SecretManagerModule } from "./client.js";
export type {
  GcpClientSettings,
  GcpExistingClient,
  GcpReplication,
  GcpSecretManagerBackendOptions,
  GcpStorageOptions,
} from "./config.js";

/** Creates a Google Cloud Secret Manager backend. Options are checked now; the SDK is imported and the client created on first use. */
export function gcpSecretManagerBackend(options: GcpSecretManagerBackendOptions = {}): Backend {
  const context = createContext(options);
  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      maxKeyLength: context.config.maxKeyLength,
    },
    get: (key, getOptions = {}) => getRecord(context, key, getOptions.version),
    put: (key, write, putOptions = {}) => putRecord(context, key, write, putOptions),
    delete: (key, deleteOptions = {}) =>
      deleteOptions.purge ? purge(context, key) : switchLatest(context, key, "disabled"),
    restore: (key) => switchLatest(context, key, "enabled"),
    list: (listOptions = {}) => listPage(context, listOptions),
    close: () => context.close(),
  };
}

export const definition: BackendDefinition = {
  type: "gcp-secret-manager",
  summary: "GCP Secret Manager",
  aliases: ["gcp"],
  packages: ["@google-cloud/secret-manager"],
  variables: VARIABLES,
  missingVariables,
  fromEnv: async (env) => gcpSecretManagerBackend(optionsFromEnv(env)),
};
