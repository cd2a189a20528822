/**
 * `getManyCredentials`: cached items and pinned versions go through the single read path; the
 * rest are read in one backend batch where the backend has `getMany`. Each item gets its own
 * result or typed error; one failing item never fails the others.
 */
import type { Backend, BackendRecord } from "./backend.js";
import { type CachedCredential, type CacheTicket, cacheKey } from "./cache.js";
import { isBoundedId, isReservedName } from "./ids.js";
import type { BackendKey } from "./key-encoding.js";
import { asCredkitError, type ManagerCore } from "./manager-core.js";
import type { BatchReadOptions, CredentialRequest, CredentialResult } from "./manager-options.js";
import { decryptRecord } from "./record-verification.js";
import { readCredential, serveEntry } from "./single-read.js";

/** Reads every request; results are in request order. */
export async function readMany(
  core: ManagerCore,
  requests: readonly CredentialRequest[],
  options: BatchReadOptions,
  reserved: boolean,
): Promise<CredentialResult[]> {
  const results: CredentialResult[] = new Array(requests.length);
  const batch: number[] = [];
  const single: number[] = [];
  requests.forEach((request, index) => {
    const validIds =
      isBoundedId(request.userId) &&
      isBoundedId(request.connectionId) &&
      (reserved || !isReservedName(request.connectionId)) &&
      // why: an out-of-bounds correlation id takes the single path, which rejects it per item.
      (options.correlationId === undefined || isBoundedId(options.correlationId));
    const cached =
      validIds && request.version === undefined && !options.forceRefresh
        ? core.cache.get(cacheKey(request.userId, request.connectionId))
        : undefined;
    if (validIds && request.version === undefined && core.backend.getMany && !cached) batch.push(index);
    else single.push(index);
  });
  await Promise.all([
    ...single.map(async (index) => {
      const request = requests[index] as CredentialRequest;
      results[index] = await resultOf(core, () =>
        readCredential(
          core,
          request.userId,
          request.connectionId,
          { ...options, version: request.version },
          reserved,
        ),
      );
    }),
    batch.length > 0 ? loadBatch(core, requests, batch, results, options) : undefined,
  ]);
  return results;
}

async function resultOf(core: ManagerCore, read: () => Promise<CachedCredential>): Promise<CredentialResult> {
  try {
    const entry = await read();
    return { ok: true, credentials: entry.fields, version: entry.version };
  } catch (error) {
    return { ok: false, error: asCredkitError(error, core.backend.name) };
  }
}

/** One `getMany` call for the indexed requests; a failure of the whole call fails each item. */
async function loadBatch(
  core: ManagerCore,
  requests: readonly CredentialRequest[],
  indexes: number[],
  results: CredentialResult[],
  options: BatchReadOptions,
): Promise<void> {
  const keys = indexes.map((index) => {
    const request = requests[index] as CredentialRequest;
    return core.key(request.userId, request.connectionId);
  });
  const getMany = core.backend.getMany as NonNullable<Backend["getMany"]>;
  // why: taken before the backend call, so a write or purge during it keeps its value out of the cache.
  const ticket = core.cache.ticket(keys.map((key) => cacheKey(key.tenantId, key.connectionId)));
  try {
    let records: Array<BackendRecord | undefined | Error>;
    try {
      records = await core.call(() => getMany.call(core.backend, keys));
    } catch (error) {
      const failure = asCredkitError(error, core.backend.name);
      records = keys.map(() => failure);
    }
    await Promise.all(
      indexes.map(async (index, position) => {
        const key = keys[position] as BackendKey;
        results[index] = await resultOf(core, () =>
          serveBatchItem(core, ticket, key, records[position], options),
        );
      }),
    );
  } finally {
    ticket.release();
  }
}

/** Decrypts, caches and serves one item of a batch. */
async function serveBatchItem(
  core: ManagerCore,
  ticket: CacheTicket,
  key: BackendKey,
  record: BackendRecord | undefined | Error,
  options: BatchReadOptions,
): Promise<CachedCredential> {
  try {
    if (record instanceof Error) throw record;
    const entry = await decryptRecord(core, key, record);
    const latest = cacheKey(key.tenantId, key.connectionId);
    ticket.set(latest, entry);
    return serveEntry(
      core,
      entry,
      latest,
      key.tenantId,
      key.connectionId,
      options,
      core.cache.enabled ? "miss" : "bypass",
    );
  } catch (error) {
    throw core.fail("read", key.tenantId, key.connectionId, options.accessor, error, options.correlationId);
  }
}
