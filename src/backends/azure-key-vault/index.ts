/**
 * `azure`: credentials as Azure Key Vault secrets, through `@azure/keyvault-secrets`.
 *
 * One secret per credential, named `prefix + BackendKey.id`; each credkit version is one Key
 * Vault version, numbered by the claim protocol in `claims.ts`; the record layout (JSON value,
 * `contentType`, tags, `expiresOn`) is in `record.ts`; names in `names.ts`; credentials in
 * `auth.ts`; error mapping and retries in `errors.ts`. Deletes are Key Vault soft deletes,
 * `restore` recovers, `purge` purges.
 */
import type * as Identity from "@azure/identity";
import type * as KeyVaultSecrets from "@azure/keyvault-secrets";
import type { SecretClient, SecretClientOptions } from "@azure/keyvault-secrets";
import type { Backend } from "../../core/backend.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { type RetryOptions, resolveRetryOptions } from "../../core/retry.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { type AzureAuthOptions, createCredential, scrubbingCredential } from "./auth.js";
import { type AzureSettings, azureSettings, missingVariables, VARIABLES } from "./config.js";
import { listRecords } from "./list.js";
import { MAX_SECRET_NAME } from "./names.js";
import { getRecord, NAME } from "./read.js";
import { deleteRecord, restoreRecord } from "./remove.js";
import type { AzureKv } from "./requests.js";
import { needsSdkHttpClient, undiciHttpClient } from "./transport.js";
import { putRecord } from "./write.js";

export type { AzureAuthOptions, AzureCredentialKind, TokenCredential } from "./auth.js";
export { RECORD_CONTENT_TYPE } from "./record.js";

/** What to do when writing a name Key Vault holds as deleted-but-recoverable (409). */
export type DeletedNamePolicy = "recover" | "conflict";

/** Options of `azureKeyVaultBackend`: a ready `client`, or an `endpoint` (and `clientOptions`) to build one. */
export type AzureKeyVaultBackendOptions = AzureKeyVaultSharedOptions &
  (
    | {
        /** A ready `SecretClient` to use instead of building one (its own retry policy then applies too). */
        client: SecretClient;
        endpoint?: never | undefined;
        clientOptions?: never | undefined;
      }
    | {
        client?: undefined;
        /**
         * The vault URL, e.g. `https://my-vault.vault.azure.net`.
         * @default process.env.AZURE_KEY_VAULT_URL
         */
        endpoint?: string | undefined;
        /**
         * Extra `SecretClient` options (e.g. `serviceVersion`, `proxyOptions`). The SDK's own retries
         * are turned off (`retryOptions.maxRetries: 0`) unless you set `retryOptions` here: credkit's
         * `retry` loop retries instead, with a ceiling on `Retry-After`.
         */
        clientOptions?: SecretClientOptions | undefined;
      }
  );

/** The options of `azureKeyVaultBackend` that apply with or without a ready client. */
export interface AzureKeyVaultSharedOptions extends AzureAuthOptions {
  /**
   * Prefix of every secret name: letters, digits and dashes, at most 19 characters.
   * @default process.env.CREDKIT_AZURE_PREFIX ?? "credkit-"
   */
  prefix?: string | undefined;
  /**
   * Writing a name that is soft-deleted: `recover` recovers the old secret then writes a new
   * version on top (its history continues); `conflict` throws `ConflictError`.
   * @default process.env.CREDKIT_AZURE_ON_DELETED ?? "recover"
   */
  onDeletedName?: DeletedNamePolicy | undefined;
  /**
   * Retries of throttled (429) and failed (408/5xx, network) calls. `maxDelayMs` also caps
   * how long a `Retry-After` is honoured.
   * @default { attempts: 4, baseDelayMs: 200, maxDelayMs: 10000, timeoutMs: 30000 }
   */
  retry?: RetryOptions | undefined;
  /**
   * Poll interval of the delete and recover long-running operations, in milliseconds.
   * @default 1000
   */
  pollIntervalMs?: number | undefined;
  /**
   * How many times a write that lost a race for its version number tries again.
   * @default 20
   */
  maxWriteAttempts?: number | undefined;
  /**
   * Age after which a pending version claim (its writer died mid-write) no longer blocks others.
   * @default 120000
   */
  claimTtlMs?: number | undefined;
  /**
   * Environment consulted for the defaults.
   * @default process.env
   */
  env?: Environment | undefined;
  /** The SDK modules, for bundlers or tests; imported lazily when omitted. */
  lib?: {
    /** The `@azure/keyvault-secrets` module, or a loader for it. */
    secrets?: LibOption<typeof KeyVaultSecrets> | undefined;
    /** The `@azure/identity` module, or a loader for it (only a named `credential` kind needs it). */
    identity?: LibOption<typeof Identity> | undefined;
  };
}

/** Creates an Azure Key Vault backend. The SDK is imported on first use. */
export function azureKeyVaultBackend(options: AzureKeyVaultBackendOptions = {}): Backend {
  const settings = azureSettings(options);
  const requestsTimeOut = !options.client && !needsSdkHttpClient(options.clientOptions);
  const kv: AzureKv = { settings, client: lazyClient(options, settings, requestsTimeOut), requestsTimeOut };
  return {
    name: NAME,
    capabilities: {
      versions: true,
      // why: Key Vault has no conditional write; see claims.ts for what is promised.
      compareAndSet: "best-effort",
      softDelete: true,
      maxKeyLength: MAX_SECRET_NAME - settings.prefix.length,
    },
    get: (key, getOptions = {}) => getRecord(kv, key, getOptions.version),
    put: (key, write, putOptions = {}) => putRecord(kv, key, write, putOptions),
    delete: (key, deleteOptions = {}) => deleteRecord(kv, key, deleteOptions),
    restore: (key) => restoreRecord(kv, key),
    list: (listOptions) => listRecords(kv, listOptions),
  };
}

/** The `SecretClient`, built on first use; a failed setup is tried again on the next call. */
function lazyClient(
  options: AzureKeyVaultBackendOptions,
  settings: AzureSettings,
  undiciTransport: boolean,
): () => Promise<SecretClient> {
  let clientPromise: Promise<SecretClient> | undefined;
  return () => {
    clientPromise ??= (async () => {
      if (options.client) return options.client;
      const sdk = await importOptional(
        "@azure/keyvault-secrets",
        "the Azure Key Vault backend",
        () => import("@azure/keyvault-secrets"),
        options.lib?.secrets,
      );
      const credential = scrubbingCredential(
        await createCredential(options, settings.env, options.lib?.identity),
        settings.redactor,
      );
      const clientOptions = options.clientOptions ?? {};
      const timeoutMs = resolveRetryOptions(settings.retry).timeoutMs;
      return new sdk.SecretClient(settings.endpoint as string, credential, {
        ...clientOptions,
        ...(undiciTransport ? { httpClient: undiciHttpClient(timeoutMs) } : {}),
        retryOptions: clientOptions.retryOptions ?? { maxRetries: 0 },
      });
    })();
    // why: a failed setup (missing package, bad credential option) must not stick forever.
    clientPromise.catch(() => {
      clientPromise = undefined;
    });
    return clientPromise;
  };
}

export const definition: BackendDefinition = {
  type: "azure-key-vault",
  summary: "Azure Key Vault",
  aliases: ["azure"],
  packages: ["@azure/keyvault-secrets", "@azure/identity"],
  variables: VARIABLES,
  missingVariables,
  fromEnv: async (env) => azureKeyVaultBackend({ env }),
};
