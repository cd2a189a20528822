/**
 * `vault`: HashiCorp Vault's KV version 2 engine, through `node-vault`.
 *
 * Each credential is one KV secret at `<mount>/data/<prefix>/<tenant segment>/<connection segment>`,
 * whose versions are credkit's versions. `ifVersion` is Vault's check-and-set (`options.cas`);
 * delete is KV's soft delete, restore is `undelete`, purge is `destroy` plus a metadata delete.
 * The secret body holds only the opaque payload; non-secret metadata lives in the key's
 * `custom_metadata` (see `records.ts`). Tokens are looked up, renewed and re-obtained by
 * `auth.ts`; transient failures are retried with backoff, each attempt under a timeout.
 */
import type NodeVault from "node-vault";
import type { Backend } from "../../core/backend.js";
import type { LibOption } from "../../core/import-optional.js";
import type { RetryOptions } from "../../core/retry.js";
import { checkClientExclusive, type ExistingClientOr } from "../../kit/client-options.js";
import type { BackendDefinition } from "../../kit/definition.js";
import type { TokenLifecycleOptions, VaultAuth, VaultClient } from "./auth.js";
import { missingVariables, optionsFromEnv, VARIABLES, vaultSettings } from "./config.js";
import { connectVault, type VaultConnection } from "./connect.js";
import { NAME } from "./errors.js";
import type { Kv } from "./kv.js";
import { listRecords } from "./list.js";
import { getRecord } from "./read.js";
import { deleteRecord, restoreRecord } from "./remove.js";
import { putRecord } from "./write.js";

export type { VaultAuth, VaultClient, VaultTokenEvent } from "./auth.js";
export { optionsFromEnv as vaultOptionsFromEnv } from "./config.js";

/** TLS settings for an `https://` Vault address. */
export interface VaultTlsOptions {
  /** CA bundle (PEM) that signed Vault's certificate, when it is not a public CA. */
  ca?: string | Buffer | undefined;
  /** Client certificate (PEM), for Vault listeners that require one or for TLS cert auth. */
  cert?: string | Buffer | undefined;
  /** Private key (PEM) of `cert`. */
  key?: string | Buffer | undefined;
  /** Passphrase of `key`. */
  passphrase?: string | undefined;
  /**
   * Skip verifying Vault's certificate. Only for development; never in production.
   * @default false
   */
  insecureSkipVerify?: boolean | undefined;
}

/**
 * Options of `vaultBackend`: a ready node-vault `client`, or the `endpoint`, `namespace` and `tls`
 * to build one (the types refuse both; so does a check at creation).
 */
export type VaultBackendOptions = VaultSharedOptions & ExistingClientOr<VaultClient, VaultClientSettings>;

/** Settings of the node-vault client credkit builds (which ignores node-vault's environment variables). */
export interface VaultClientSettings {
  /**
   * Vault's address.
   * @default "http://127.0.0.1:8200"
   */
  endpoint?: string | undefined;
  /** Enterprise namespace, sent as `X-Vault-Namespace`. */
  namespace?: string | undefined;
  /** TLS settings for an `https://` endpoint. */
  tls?: VaultTlsOptions | undefined;
}

/**
 * The options of `vaultBackend` that apply with or without a ready client. A given `client` is
 * switched to `noCustomHTTPVerbs` (lists as `GET ?list=true`) and its `token` is managed when
 * `auth` is given.
 */
export interface VaultSharedOptions extends TokenLifecycleOptions {
  /** How to authenticate. Required unless `client` is given (its token is then used as is). */
  auth?: VaultAuth | undefined;
  /**
   * Mount path of the KV version 2 engine.
   * @default "secret"
   */
  mount?: string | undefined;
  /**
   * Folder under the mount that holds credkit's records. May be empty.
   * @default "credkit"
   */
  prefix?: string | undefined;
  /**
   * `max_versions` set on the keys credkit creates: a positive whole number; unset uses the
   * mount's setting (Vault's default: 10).
   * @default the mount's setting
   */
  maxVersions?: number | undefined;
  /** Retries of transient failures (429, 5xx, connection errors) and the time limit of each attempt. */
  retry?: RetryOptions | undefined;
  /** The `node-vault` module (or a loader), for bundlers; imported lazily otherwise. */
  lib?: LibOption<typeof NodeVault> | undefined;
}

/** Creates a Vault KV v2 backend. No request is made until the first call. */
export function vaultBackend(options: VaultBackendOptions = {}): Backend {
  checkClientExclusive(options, ["endpoint", "namespace", "tls"], NAME);
  const settings = vaultSettings(options);
  let connection: Promise<VaultConnection> | undefined;
  const kv: Kv = {
    settings,
    connect: () => {
      connection ??= connectVault(options, settings.request.timeout);
      return connection;
    },
  };
  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      // why: Vault has no hard path limit; 512 keeps URLs far below proxies' limits.
      maxKeyLength: 512,
    },
    get: (key, getOptions = {}) => getRecord(kv, key, getOptions.version),
    put: (key, write, putOptions = {}) => putRecord(kv, key, write, putOptions),
    delete: (key, deleteOptions = {}) => deleteRecord(kv, key, deleteOptions),
    restore: (key) => restoreRecord(kv, key),
    list: (listOptions) => listRecords(kv, listOptions),
    async close() {
      if (!connection) return;
      const made = await connection.catch(() => undefined);
      made?.tokens.close();
      await made?.agent?.close();
    },
  };
}

export const definition: BackendDefinition = {
  type: "vault",
  summary: "HashiCorp Vault KV v2",
  packages: ["node-vault"],
  variables: VARIABLES,
  missingVariables,
  fromEnv: async (env) => vaultBackend(await optionsFromEnv(env)),
};
