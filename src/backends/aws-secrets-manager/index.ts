/**
 * `aws`: AWS Secrets Manager through `@aws-sdk/client-secrets-manager` (an optional peer,
 * imported on first use).
 *
 * One credential is one secret named `<prefix><tenant segment>/<connection segment>`; one credkit
 * version is one secret version whose id is derived from the integer (see `names.ts`). Writes
 * are in `write.ts`, reads in `read.ts` and `batch-read.ts` (several latest reads go through
 * `BatchGetSecretValue`, 20 a call), deletes and restores in `delete.ts`, listing in `list.ts`.
 * Reads use `AWSCURRENT`, a pinned `VersionId` or `AWSPREVIOUS`.
 */
import type { Backend, BackendRecord } from "../../core/backend.js";
import type { BackendKey } from "../../core/key-encoding.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { getMany } from "./batch-read.js";
import {
  type AwsSecretsManagerBackendOptions,
  missingVariables,
  optionsFromEnv,
  VARIABLES,
} from "./config.js";
import { createContext } from "./context.js";
import { purge, restore, softDelete } from "./delete.js";
import { NAME } from "./errors.js";
import { listPage } from "./list.js";
import { MAX_SECRET_NAME, PREVIOUS, versionToken } from "./names.js";
import { readRecord } from "./read.js";
import { putRecord } from "./write.js";

export type {
  AwsClientSettings,
  AwsConnectionOptions,
  AwsExistingClient,
  SecretsManagerModule,
} from "./client.js";
export type { AwsSecretsManagerBackendOptions, AwsStorageOptions } from "./config.js";
export { secretName, TENANT_TAG, TYPE_TAG, versionToken } from "./names.js";

/** The AWS backend: the `Backend` contract plus reads by the `AWSPREVIOUS` stage. */
export interface AwsSecretsManagerBackend extends Backend {
  /** The version before the current one (stage `AWSPREVIOUS`), or undefined when there is none. */
  getPrevious(key: BackendKey): Promise<BackendRecord | undefined>;
  /** The secret name a key maps to. */
  secretNameOf(key: BackendKey): string;
}

/** Creates an AWS Secrets Manager backend. Options are checked now; the SDK is imported on first use. */
export function awsSecretsManagerBackend(
  options: AwsSecretsManagerBackendOptions = {},
): AwsSecretsManagerBackend {
  const context = createContext(options);
  return {
    name: NAME,
    capabilities: {
      versions: true,
      // why: version n has a fixed ClientRequestToken, and the service accepts one value per token.
      compareAndSet: "atomic",
      softDelete: true,
      // why: the name is prefix + tenant + "/" + name, one character shorter than prefix + key.id.
      maxKeyLength: MAX_SECRET_NAME - context.config.prefix.length,
    },
    secretNameOf: context.nameOf,
    async get(key, getOptions = {}) {
      const { version } = getOptions;
      if (version === undefined) return readRecord(context, key, {});
      if (!Number.isInteger(version) || version < 1) return undefined;
      return readRecord(context, key, { VersionId: versionToken(version) });
    },
    getPrevious: (key) => readRecord(context, key, { VersionStage: PREVIOUS }),
    getMany: (keys) => getMany(context, keys),
    put: (key, write, putOptions = {}) => putRecord(context, key, write, putOptions),
    delete: (key, deleteOptions = {}) =>
      deleteOptions.purge ? purge(context, key) : softDelete(context, key),
    restore: (key) => restore(context, key),
    list: (listOptions = {}) => listPage(context, listOptions),
    close: () => context.connection.close(),
  };
}

export const definition: BackendDefinition = {
  type: "aws-secrets-manager",
  summary: "AWS Secrets Manager",
  aliases: ["aws"],
  packages: ["@aws-sdk/client-secrets-manager"],
  variables: VARIABLES,
  missingVariables,
  fromEnv: async (env: Environment) => awsSecretsManagerBackend(optionsFromEnv(env)),
};
