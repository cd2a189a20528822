/**
 * `azure`: credentials as Azure Key Vault secrets, through `@azure/keyvault-secrets`.
 *
 * One secret per credential, named `prefix + BackendKey.id`; each credkit version is one Key
 * Vault version, numbered by the claim protocol in `claims.ts`; the record layout (JSON value,
 * `contentType`, tags, `expiresOn`) is in `record.ts`; names in `names.ts`; credentials in
 * `auth.ts`; error mapping and retries in `errors.ts`. Deletes are Key Vault soft deletes,
 * `restore` recovers, `purge` purges.
 */
import { randomBytes } from "node:crypto";
import type * as Identity from "@azure/identity";
import type * as KeyVaultSecrets from "@azure/keyvault-secrets";
import type {
  KeyVaultSecret,
  PagedAsyncIterableIterator,
  SecretClient,
  SecretClientOptions,
  SecretProperties,
} from "@azure/keyvault-secrets";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  BackendWrite,
} from "../../core/backend.js";
import { deletedRecord, missingRecord, versionConflict } from "../../core/backend-support.js";
import {
  ConfigurationError,
  ConflictError,
  DeletedError,
  IntegrityError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { Redactor } from "../../core/redact.js";
import { contentionBackoff, type RetryOptions, withRetry } from "../../core/retry.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import {
  type AzureAuthOptions,
  type AzureCredentialKind,
  createCredential,
  isCredentialKind,
  requiredFor,
  scrubbingCredential,
} from "./auth.js";
import { type Claim, claimsOf, committedAt, judge, latestCommitted, ownLeftovers } from "./claims.js";
import { azureError, isDeletedNameConflict, SOURCE } from "./errors.js";
import { checkPrefix, DEFAULT_PREFIX, MAX_SECRET_NAME, secretName } from "./names.js";
import {
  type ClaimState,
  decodeValue,
  encodeValue,
  RECORD_CONTENT_TYPE,
  readTags,
  type Tags,
  tagsFor,
  type VersionTags,
  withState,
} from "./record.js";

export type { AzureAuthOptions, AzureCredentialKind, TokenCredential } from "./auth.js";
export { RECORD_CONTENT_TYPE } from "./record.js";

/** What to do when writing a name Key Vault holds as deleted-but-recoverable (409). */
export type DeletedNamePolicy = "recover" | "conflict";

/** Options of `azureKeyVaultBackend`. */
export interface AzureKeyVaultBackendOptions extends AzureAuthOptions {
  /**
   * The vault URL, e.g. `https://my-vault.vault.azure.net`.
   * @default process.env.AZURE_KEY_VAULT_URL
   */
  vaultUrl?: string | undefined;
  /** A ready `SecretClient` to use instead of building one (its own retry policy then applies too). */
  client?: SecretClient | undefined;
  /**
   * Extra `SecretClient` options (e.g. `serviceVersion`, `proxyOptions`). The SDK's own retries
   * are turned off (`retryOptions.maxRetries: 0`) unless you set `retryOptions` here: credkit's
   * `retry` loop retries instead, with a ceiling on `Retry-After`.
   */
  clientOptions?: SecretClientOptions | undefined;
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
  staleClaimMs?: number | undefined;
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

const NAME = "azure";
const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, timeoutMs: 30_000 };
/** Key Vault returns at most 25 items per page. */
const MAX_PAGE = 25;

type Latest =
  | { readonly kind: "absent" }
  | { readonly kind: "found"; readonly secret: KeyVaultSecret; readonly tags: VersionTags | undefined }
  | { readonly kind: "disabled" };

interface ListCursor {
  /** `l`: live secrets; `d`: deleted ones. */
  readonly p: "l" | "d";
  /** Items of that listing already consumed. */
  readonly s: number;
}

function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function decodeCursor(text: string | undefined): ListCursor {
  if (!text) return { p: "l", s: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as ListCursor;
    if ((parsed.p === "l" || parsed.p === "d") && Number.isSafeInteger(parsed.s) && parsed.s >= 0) {
      return parsed;
    }
  } catch {
    // fall through
  }
  throw new ValidationError("The list cursor is not one this backend issued.", "cursor", { source: SOURCE });
}

/** Creates an Azure Key Vault backend. The SDK is imported on first use. */
export function azureKeyVaultBackend(options: AzureKeyVaultBackendOptions = {}): Backend {
  const env = options.env ?? process.env;
  const prefix = checkPrefix(options.prefix ?? env.CREDKIT_AZURE_PREFIX ?? DEFAULT_PREFIX);
  const policy = options.onDeletedName ?? env.CREDKIT_AZURE_ON_DELETED ?? "recover";
  if (policy !== "recover" && policy !== "conflict") {
    throw new ConfigurationError('CREDKIT_AZURE_ON_DELETED must be "recover" or "conflict".', {
      missing: ["CREDKIT_AZURE_ON_DELETED"],
      available: ["recover", "conflict"],
    });
  }
  const vaultUrl = options.vaultUrl ?? env.AZURE_KEY_VAULT_URL;
  if (!options.client && !vaultUrl) {
    throw new ConfigurationError("The Azure Key Vault backend needs a vault URL: set AZURE_KEY_VAULT_URL.", {
      missing: ["AZURE_KEY_VAULT_URL"],
    });
  }
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxWriteAttempts = Math.max(1, options.maxWriteAttempts ?? 20);
  const staleClaimMs = options.staleClaimMs ?? 120_000;
  const redactor = new Redactor([options.clientSecret ?? env.AZURE_CLIENT_SECRET]);

  let clientPromise: Promise<SecretClient> | undefined;
  const client = (): Promise<SecretClient> => {
    clientPromise ??= (async () => {
      if (options.client) return options.client;
      const sdk = await importOptional(
        "@azure/keyvault-secrets",
        "the Azure Key Vault backend",
        () => import("@azure/keyvault-secrets"),
        options.lib?.secrets,
      );
      const credential = scrubbingCredential(
        await createCredential(options, env, options.lib?.identity),
        redactor,
      );
      return new sdk.SecretClient(vaultUrl as string, credential, {
        ...options.clientOptions,
        retryOptions: options.clientOptions?.retryOptions ?? { maxRetries: 0 },
      });
    })();
    // why: a failed setup (missing package, bad credential option) must not stick forever.
    clientPromise.catch(() => {
      clientPromise = undefined;
    });
    return clientPromise;
  };

  const call = async <T>(
    action: string,
    operation: (kv: SecretClient, signal: AbortSignal) => Promise<T>,
  ) => {
    const kv = await client();
    return withRetry(
      ({ signal }) => operation(kv, signal),
      (error) => azureError(error, action, redactor),
      retry,
    );
  };

  /** Runs a call; a 404 becomes `undefined`. */
  const unless404 = async <T>(
    action: string,
    operation: (kv: SecretClient, signal: AbortSignal) => Promise<T>,
  ) => {
    try {
      return await call(action, operation);
    } catch (error) {
      if (NotFoundError.isInstance(error) && !DeletedError.isInstance(error)) return undefined;
      throw error;
    }
  };

  const latest = async (name: string): Promise<Latest> => {
    try {
      const secret = await unless404("read a secret", (kv, abortSignal) =>
        kv.getSecret(name, { abortSignal }),
      );
      if (!secret) return { kind: "absent" };
      return { kind: "found", secret, tags: readTags(secret.properties.tags) };
    } catch (error) {
      if (DeletedError.isInstance(error) && error.state === "disabled") return { kind: "disabled" };
      throw error;
    }
  };

  /**
   * Every item of a paged listing. The whole walk is one retried call: the SDK (4.11) drops
   * `continuationToken` from the pages it maps, so a walk cannot resume from a page link.
   */
  const allItems = async <T>(
    action: string,
    open: (kv: SecretClient, signal: AbortSignal) => PagedAsyncIterableIterator<T>,
  ): Promise<T[] | undefined> =>
    unless404(action, async (kv, signal) => {
      const items: T[] = [];
      for await (const page of open(kv, signal).byPage({ maxPageSize: MAX_PAGE })) items.push(...page);
      return items;
    });

  /** The credkit claims of a secret's versions; undefined when the secret does not exist (or is deleted). */
  const claims = async (name: string): Promise<Claim[] | undefined> => {
    const versions = await allItems("list secret versions", (kv, abortSignal) =>
      kv.listPropertiesOfSecretVersions(name, { abortSignal }),
    );
    return versions ? claimsOf(versions) : undefined;
  };

  const isSoftDeleted = async (name: string): Promise<boolean> =>
    (await unless404("read a deleted secret", (kv, abortSignal) =>
      kv.getDeletedSecret(name, { abortSignal }),
    )) !== undefined;

  const readVersion = async (name: string, claim: Claim): Promise<BackendRecord | undefined> => {
    const secret = await unless404("read a secret version", (kv, abortSignal) =>
      kv.getSecret(name, { version: claim.id, abortSignal }),
    );
    return secret ? decodeValue(secret.value, secret.properties.contentType, claim.tags.version) : undefined;
  };

  /** The current version number: the highest committed claim, 0 when there is none. */
  const currentVersion = async (name: string): Promise<number> => {
    const found = await latest(name);
    if (found.kind === "absent") return 0;
    if (found.kind === "found" && found.tags?.state === "committed") return found.tags.version;
    return latestCommitted((await claims(name)) ?? [])?.tags.version ?? 0;
  };

  const retag = (name: string, claim: { id: string; rawTags: Tags }, state: ClaimState) =>
    call("update secret tags", (kv, abortSignal) =>
      kv.updateSecretProperties(name, claim.id, { tags: withState(claim.rawTags, state), abortSignal }),
    );

  const recover = (name: string) =>
    call("recover a deleted secret", async (kv, abortSignal) => {
      const poller = await kv.beginRecoverDeletedSecret(name, { intervalInMs: pollIntervalMs, abortSignal });
      return poller.pollUntilDone({ abortSignal });
    });

  /** Steps 2 and 3 of the claim protocol for our freshly written version. */
  const settle = async (name: string, mine: Claim): Promise<boolean> => {
    const { version, claim: claimId } = mine.tags;
    const first = (await claims(name)) ?? [];
    for (const leftover of ownLeftovers(first, claimId, mine.id)) await retag(name, leftover, "lost");
    if (judge("before", first, version, claimId, Date.now(), staleClaimMs) === "lose") {
      await retag(name, mine, "lost");
      return false;
    }
    await retag(name, mine, "committed");
    const second = (await claims(name)) ?? [];
    if (judge("after", second, version, claimId, Date.now(), staleClaimMs) === "lose") {
      await retag(name, mine, "lost");
      return false;
    }
    return true;
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      // why: Key Vault has no conditional write; see claims.ts for what is promised.
      compareAndSet: "best-effort",
      softDelete: true,
      batchGet: false,
      consistency: "strong",
      maxKeyLength: MAX_SECRET_NAME - prefix.length,
    },

    async get(key, options = {}) {
      const name = secretName(prefix, key);
      if (options.version === undefined) {
        const found = await latest(name);
        if (found.kind === "absent") {
          if (await isSoftDeleted(name)) throw deletedRecord(NAME, key);
          return undefined;
        }
        if (found.kind === "found" && found.tags?.state === "committed") {
          return decodeValue(found.secret.value, found.secret.properties.contentType, found.tags.version);
        }
        if (found.kind === "found" && !found.tags) {
          throw new IntegrityError("A Key Vault secret in credkit's namespace is not a credkit record.", {
            source: SOURCE,
          });
        }
      }
      const all = await claims(name);
      if (!all) {
        if (await isSoftDeleted(name)) throw deletedRecord(NAME, key);
        return undefined;
      }
      const claim = options.version === undefined ? latestCommitted(all) : committedAt(all, options.version);
      return claim ? readVersion(name, claim) : undefined;
    },

    async put(key, write: BackendWrite, options = {}) {
      const name = secretName(prefix, key);
      const value = encodeValue(write);
      const claimId = randomBytes(8).toString("hex");
      const expiresOn = write.metadata.expiresAt ? new Date(write.metadata.expiresAt) : undefined;
      let expected = options.ifVersion;
      for (let attempt = 0; attempt < maxWriteAttempts; attempt++) {
        const current = await currentVersion(name);
        if (expected !== undefined && expected !== current) {
          throw versionConflict(NAME, key, options.ifVersion as number, current);
        }
        const version = current + 1;
        const tags = tagsFor(key.tenantSegment, write.metadata, version, "pending", claimId);
        let written: KeyVaultSecret;
        try {
          written = await call("write a secret", (kv, abortSignal) =>
            kv.setSecret(name, value, {
              tags,
              contentType: RECORD_CONTENT_TYPE,
              ...(expiresOn ? { expiresOn } : {}),
              abortSignal,
            }),
          );
        } catch (error) {
          if (!isDeletedNameConflict(error)) throw error;
          const cause = (error as Error).cause;
          if (policy === "conflict") {
            throw new ConflictError(
              `Credential "${key.name}" is deleted but recoverable in Key Vault; restore or purge it before storing it again.`,
              options.ifVersion,
              { source: SOURCE, cause },
            );
          }
          // why: a soft-deleted record counts as version 0; recovering brings its history back.
          if (expected !== undefined && expected !== 0) throw versionConflict(NAME, key, expected, 0);
          await recover(name);
          if (expected !== undefined) expected = await currentVersion(name);
          continue;
        }
        const mine: Claim = {
          id: written.properties.version ?? "",
          tags: {
            version,
            state: "pending",
            claim: claimId,
            tenantSegment: key.tenantSegment,
            metadata: undefined,
          },
          rawTags: tags,
          createdOn: written.properties.createdOn,
        };
        if (await settle(name, mine)) return { version };
        await contentionBackoff(attempt, 20, 1000);
      }
      throw new UnavailableError(
        `Too many concurrent writers to credential "${key.name}"; gave up after ${maxWriteAttempts} attempts.`,
        { source: SOURCE },
      );
    },

    async delete(key: BackendKey, options = {}) {
      const name = secretName(prefix, key);
      const deleted = await unless404("delete a secret", async (kv, abortSignal) => {
        const poller = await kv.beginDeleteSecret(name, { intervalInMs: pollIntervalMs, abortSignal });
        return poller.pollUntilDone({ abortSignal });
      });
      if (!deleted && !(options.purge && (await isSoftDeleted(name)))) throw missingRecord(NAME, key);
      if (!options.purge) return;
      const purged = await unless404("purge a deleted secret", (kv, abortSignal) =>
        kv.purgeDeletedSecret(name, { abortSignal }).then(() => true),
      );
      if (!purged) throw missingRecord(NAME, key);
    },

    async restore(key) {
      const name = secretName(prefix, key);
      const restored = await unless404("recover a deleted secret", async (kv, abortSignal) => {
        const poller = await kv.beginRecoverDeletedSecret(name, {
          intervalInMs: pollIntervalMs,
          abortSignal,
        });
        return poller.pollUntilDone({ abortSignal });
      });
      if (!restored) throw missingRecord(NAME, key);
    },

    async list(options: BackendListOptions = {}) {
      const limit = Math.max(1, options.limit ?? 100);
      const cursor = decodeCursor(options.cursor);
      return call("list secrets", async (kv, abortSignal) => {
        const entries: BackendListEntry[] = [];
        const phases: Array<"l" | "d"> =
          cursor.p === "d" ? ["d"] : options.includeDeleted ? ["l", "d"] : ["l"];
        for (const phase of phases) {
          // why: resuming skips what earlier pages consumed; see `allItems` for why not a page link.
          let position = 0;
          const skip = phase === cursor.p ? cursor.s : 0;
          const source: PagedAsyncIterableIterator<SecretProperties | KeyVaultSecrets.DeletedSecret> =
            phase === "l"
              ? kv.listPropertiesOfSecrets({ abortSignal })
              : kv.listDeletedSecrets({ abortSignal });
          for await (const page of source.byPage({ maxPageSize: MAX_PAGE })) {
            for (const item of page) {
              position++;
              if (position <= skip) continue;
              const properties: SecretProperties = "properties" in item ? item.properties : item;
              const entry = await listEntry(properties, phase === "d", options.tenantSegment);
              if (entry) entries.push(entry);
              if (entries.length >= limit)
                return { entries, cursor: encodeCursor({ p: phase, s: position }) };
            }
          }
        }
        return { entries };
      });
    },
  };

  async function listEntry(
    properties: SecretProperties,
    deleted: boolean,
    tenantSegment: string | undefined,
  ): Promise<BackendListEntry | undefined> {
    if (!properties.name.toLowerCase().startsWith(prefix)) return undefined;
    const tags = readTags(properties.tags);
    if (!tags || (tenantSegment !== undefined && tags.tenantSegment !== tenantSegment)) return undefined;
    if (deleted) {
      // why: a deleted secret's versions and value cannot be read; its last tags are all there is.
      return tags.metadata ? { metadata: tags.metadata, version: tags.version, deleted: true } : undefined;
    }
    if (tags.state === "committed" && tags.metadata) {
      return { metadata: tags.metadata, version: tags.version, deleted: false };
    }
    const all = await claims(properties.name);
    const claim = all ? latestCommitted(all) : undefined;
    if (!claim) return undefined;
    if (claim.tags.metadata)
      return { metadata: claim.tags.metadata, version: claim.tags.version, deleted: false };
    const record = await readVersion(properties.name, claim);
    return record ? { metadata: record.metadata, version: record.version, deleted: false } : undefined;
  }
}

function credentialKind(env: Environment): AzureCredentialKind | undefined {
  const kind = env.CREDKIT_AZURE_CREDENTIAL ?? "default";
  return isCredentialKind(kind) ? kind : undefined;
}

export const definition: BackendDefinition = {
  type: "azure-key-vault",
  summary: "Azure Key Vault",
  aliases: ["azure"],
  packages: ["@azure/keyvault-secrets", "@azure/identity"],
  variables: [
    {
      name: "AZURE_KEY_VAULT_URL",
      description: "Vault URL, e.g. https://my-vault.vault.azure.net (required).",
    },
    {
      name: "CREDKIT_AZURE_CREDENTIAL",
      description: "default (DefaultAzureCredential), client-secret or managed-identity (default: default).",
    },
    { name: "AZURE_TENANT_ID", description: "Entra tenant id, for client-secret." },
    {
      name: "AZURE_CLIENT_ID",
      description: "Client id: the service principal, or a user-assigned managed identity.",
    },
    { name: "AZURE_CLIENT_SECRET", description: "Service principal secret, for client-secret." },
    { name: "CREDKIT_AZURE_PREFIX", description: "Secret name prefix (default credkit-)." },
    {
      name: "CREDKIT_AZURE_ON_DELETED",
      description: "Writing a soft-deleted name: recover (default) or conflict.",
    },
  ],
  missingVariables(env) {
    const missing = env.AZURE_KEY_VAULT_URL ? [] : ["AZURE_KEY_VAULT_URL"];
    const kind = credentialKind(env);
    if (kind === undefined) missing.push("CREDKIT_AZURE_CREDENTIAL");
    else missing.push(...requiredFor(kind).filter((name) => !env[name]));
    return missing;
  },
  fromEnv: async (env) => azureKeyVaultBackend({ env }),
};
