/**
 * The Key Vault requests credkit makes: each one retried when transient and mapped to a typed
 * error by the ladder in `errors.ts`; a 404 becomes `undefined` where absence is an answer.
 */
import type {
  KeyVaultSecret,
  PagedAsyncIterableIterator,
  SecretClient,
  SecretProperties,
} from "@azure/keyvault-secrets";
import type { BackendRecord } from "../../core/backend.js";
import { DeletedError, NotFoundError } from "../../core/errors.js";
import { type AttemptContext, withRetry } from "../../core/retry.js";
import { type Claim, claimsOf, latestCommitted } from "./claims.js";
import type { AzureSettings } from "./config.js";
import { azureError } from "./errors.js";
import { type ClaimState, decodeValue, readTags, type Tags, type VersionTags, withState } from "./record.js";

/** Key Vault returns at most 25 items per page. */
export const MAX_PAGE = 25;

/** The settings and the (lazily built) client every request uses. */
export interface AzureKv {
  readonly settings: AzureSettings;
  readonly client: () => Promise<SecretClient>;
  /**
   * True when the client's HTTP transport ends each request at the attempt's time limit itself
   * (credkit's, see transport.ts): an operation of one request then needs no abort signal.
   */
  readonly requestsTimeOut: boolean;
}

/** One attempt of an operation; `attempt.signal` aborts it when it runs out of time. */
export type Operation<T> = (client: SecretClient, attempt: AttemptContext) => Promise<T>;

/** The options of an operation of one request: the attempt's signal, unless the transport times out. */
export function oneRequest(kv: AzureKv, attempt: AttemptContext): { abortSignal?: AbortSignal } {
  return kv.requestsTimeOut ? {} : { abortSignal: attempt.signal };
}

/** The latest version of a secret, as Key Vault sees it. */
export type Latest =
  | { readonly kind: "absent" }
  | { readonly kind: "found"; readonly secret: KeyVaultSecret; readonly tags: VersionTags | undefined }
  | { readonly kind: "disabled" };

/** Runs one retried operation; failures are typed errors with secrets scrubbed. */
export async function call<T>(kv: AzureKv, action: string, operation: Operation<T>): Promise<T> {
  const client = await kv.client();
  return withRetry(
    (attempt) => operation(client, attempt),
    (error) => azureError(error, action, kv.settings.redactor),
    kv.settings.retry,
  );
}

/** Runs a call; a 404 becomes `undefined`. */
export async function unless404<T>(
  kv: AzureKv,
  action: string,
  operation: Operation<T>,
): Promise<T | undefined> {
  try {
    return await call(kv, action, operation);
  } catch (error) {
    if (NotFoundError.isInstance(error) && !DeletedError.isInstance(error)) return undefined;
    throw error;
  }
}

/** The latest version of secret `name`: absent, disabled, or found with its credkit tags. */
export async function latest(kv: AzureKv, name: string): Promise<Latest> {
  try {
    const secret = await unless404(kv, "read a secret", (client, attempt) =>
      client.getSecret(name, oneRequest(kv, attempt)),
    );
    if (!secret) return { kind: "absent" };
    return { kind: "found", secret, tags: readTags(secret.properties.tags) };
  } catch (error) {
    if (DeletedError.isInstance(error) && error.state === "disabled") return { kind: "disabled" };
    throw error;
  }
}

/**
 * Every item of a paged listing. The whole walk is one retried call: the SDK (4.11) drops
 * `continuationToken` from the pages it maps, so a walk cannot resume from a page link.
 */
async function allItems<T>(
  kv: AzureKv,
  action: string,
  open: (client: SecretClient, abortSignal: AbortSignal) => PagedAsyncIterableIterator<T>,
): Promise<T[] | undefined> {
  return unless404(kv, action, async (client, attempt) => {
    const items: T[] = [];
    for await (const page of open(client, attempt.signal).byPage({ maxPageSize: MAX_PAGE }))
      items.push(...page);
    return items;
  });
}

/** The credkit claims of a secret's versions; undefined when the secret does not exist (or is deleted). */
export async function claims(kv: AzureKv, name: string): Promise<Claim[] | undefined> {
  const versions = await allItems<SecretProperties>(kv, "list secret versions", (client, abortSignal) =>
    client.listPropertiesOfSecretVersions(name, { abortSignal }),
  );
  return versions ? claimsOf(versions) : undefined;
}

/** Whether Key Vault holds `name` as deleted but recoverable. */
export async function isSoftDeleted(kv: AzureKv, name: string): Promise<boolean> {
  const deleted = await unless404(kv, "read a deleted secret", (client, attempt) =>
    client.getDeletedSecret(name, oneRequest(kv, attempt)),
  );
  return deleted !== undefined;
}

/** The record a claimed version holds; undefined when the version is gone. */
export async function readVersion(
  kv: AzureKv,
  name: string,
  claim: Claim,
): Promise<BackendRecord | undefined> {
  const secret = await unless404(kv, "read a secret version", (client, attempt) =>
    client.getSecret(name, { version: claim.id, ...oneRequest(kv, attempt) }),
  );
  return secret ? decodeValue(secret.value, secret.properties.contentType, claim.tags.version) : undefined;
}

/** The current version number: the highest committed claim, 0 when there is none. */
export async function currentVersion(kv: AzureKv, name: string): Promise<number> {
  const found = await latest(kv, name);
  if (found.kind === "absent") return 0;
  if (found.kind === "found" && found.tags?.state === "committed") return found.tags.version;
  return latestCommitted((await claims(kv, name)) ?? [])?.tags.version ?? 0;
}

/** Sets the claim state tag of one version. */
export function retag(
  kv: AzureKv,
  name: string,
  claim: { id: string; rawTags: Tags },
  state: ClaimState,
): Promise<SecretProperties> {
  return call(kv, "update secret tags", (client, attempt) =>
    client.updateSecretProperties(name, claim.id, {
      tags: withState(claim.rawTags, state),
      ...oneRequest(kv, attempt),
    }),
  );
}

/** The operation that recovers a soft-deleted secret and waits until it is done. */
export function recovery(kv: AzureKv, name: string): Operation<SecretProperties> {
  return async (client, { signal: abortSignal }) => {
    const poller = await client.beginRecoverDeletedSecret(name, {
      intervalInMs: kv.settings.pollIntervalMs,
      abortSignal,
    });
    return poller.pollUntilDone({ abortSignal });
  };
}
