/**
 * The default `ConnectionStore`: connection records kept through the credential manager's own
 * backend, as credkit system records (namespace `connections`: encrypted JSON under names no
 * tenant credential can take, hidden from `listCredentials`). Connections are therefore as
 * durable as credentials on every `VAULT_TYPE`, the embedded file store included. A record's
 * `revision` is its stored version; `put` is a compare-and-set on it.
 */
import { type CredentialManager, managerCore } from "../../core/credential-manager.js";
import { IntegrityError, NotFoundError } from "../../core/errors.js";
import {
  namespacePrefix,
  type SystemRecord,
  type SystemRecordStore,
  systemRecords,
} from "../../core/system-records.js";
import type { ConnectionPage, ConnectionRecord, ConnectionStore } from "../connection-store.js";
import { type ListingCache, listingCache } from "./listing-cache.js";
import { type ConnectionListOptions, pageLimit } from "./paging.js";

/** The system-record namespace of connection records. */
export const CONNECTIONS_NAMESPACE = "connections";
/** Records read at once while filling a page. */
const READ_CONCURRENCY = 8;

/** The reserved-name prefix of connection records, `~connections:`. */
const RECORD_PREFIX = namespacePrefix(CONNECTIONS_NAMESPACE);
/** The listing cache of each manager (by its core), shared by every store over it. */
const listings = new WeakMap<object, ListingCache>();

/** What is stored: the record without its revision, which is the stored version. */
type StoredConnection = Omit<ConnectionRecord, "revision">;

function fromStored(tenantId: string, id: string, stored: SystemRecord<StoredConnection>): ConnectionRecord {
  const value = stored.value;
  if (typeof value !== "object" || value === null || value.tenantId !== tenantId || value.id !== id) {
    throw new IntegrityError(`Connection record "${id}" does not belong where it is stored.`);
  }
  return { ...value, revision: stored.version };
}

async function readAll(
  records: SystemRecordStore<StoredConnection>,
  tenantId: string,
  ids: readonly string[],
): Promise<ConnectionRecord[]> {
  const found: Array<ConnectionRecord | undefined> = new Array(ids.length);
  for (let start = 0; start < ids.length; start += READ_CONCURRENCY) {
    await Promise.all(
      ids.slice(start, start + READ_CONCURRENCY).map(async (id, offset) => {
        const stored = await records.get(tenantId, id);
        found[start + offset] = stored && fromStored(tenantId, id, stored);
      }),
    );
  }
  // why: a record deleted between the listing and the read is simply not on the page.
  return found.filter((record): record is ConnectionRecord => record !== undefined);
}

/**
 * One page: backend pages are read (each asking only for what is still missing) until the page
 * is full or the listing ends, so credentials stored beside connections never shorten a page
 * that has more to show.
 */
async function listPage(
  records: SystemRecordStore<StoredConnection>,
  tenantId: string,
  options: ConnectionListOptions,
): Promise<ConnectionPage> {
  const limit = pageLimit(options);
  const ids: string[] = [];
  let cursor = options.cursor;
  do {
    const page = await records.list(tenantId, {
      limit: limit - ids.length,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.cursor;
  } while (cursor !== undefined && ids.length < limit);
  const items = await readAll(records, tenantId, ids);
  return cursor !== undefined ? { items, cursor } : { items };
}

function listingsOf(credentials: CredentialManager): ListingCache {
  const core = managerCore(credentials);
  let cache = listings.get(core);
  if (!cache) {
    cache = listingCache(core.cache, RECORD_PREFIX);
    listings.set(core, cache);
  }
  return cache;
}

/**
 * A `ConnectionStore` over `credentials`' backend: the `ConnectorService` default. Listings are
 * served from the manager's listing cache (see `./listing-cache.ts`) while fresh.
 */
export function credentialConnectionStore(credentials: CredentialManager): ConnectionStore {
  const records = systemRecords<StoredConnection>(credentials, CONNECTIONS_NAMESPACE);
  const cached = listingsOf(credentials);
  return {
    async get(tenantId, id) {
      const stored = await records.get(tenantId, id);
      return stored && fromStored(tenantId, id, stored);
    },
    async list(tenantId, options = {}) {
      const pageKey = `${pageLimit(options)}\0${options.cursor ?? ""}`;
      return cached.page(tenantId, pageKey, () => listPage(records, tenantId, options));
    },
    async put(record, expectedRevision) {
      const { revision: _revision, ...stored } = record;
      await records.put(record.tenantId, record.id, stored, { ifVersion: expectedRevision });
    },
    async delete(tenantId, id) {
      try {
        await records.purge(tenantId, id);
        return true;
      } catch (error) {
        if (NotFoundError.isInstance(error)) return false;
        throw error;
      }
    },
  };
}
