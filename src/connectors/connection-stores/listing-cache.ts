/**
 * The listing cache of the default `ConnectionStore`: a tenant's pages of connection records,
 * decrypted once and served frozen for the manager's cache TTL, so listing integrations (every
 * page load of a settings screen) does not read and decrypt every record from the backend.
 *
 * One cache per credential manager, shared by every store over it (`credentialConnectionStore`
 * keeps them). A tenant's pages are dropped
 * whenever the manager's read cache invalidates one of its connection records: every write and
 * delete through any store over the manager, fleet invalidation messages from other processes,
 * and `clear()`. A listing read while such an invalidation happened is handed to its callers but
 * not kept, and callers after the invalidation read afresh. Concurrent misses of one page share
 * one read. Changes made by another process without fleet invalidation show after the TTL, as
 * for credentials. With the manager's cache off (`cache: false`), nothing is kept.
 */
import { LRUCache } from "lru-cache";
import type { CredentialCache } from "../../core/cache.js";
import { deepFreeze } from "../../core/deep-freeze.js";
import type { ConnectionPage } from "../connection-store.js";

/** Most tenants whose pages are kept; the least recently listed go first. */
const MAX_TENANTS = 1000;

/** A listing being read. Callers that miss the same page meanwhile share its promise. */
interface Load {
  /** Set when its tenant was invalidated meanwhile: the page is handed out but not kept. */
  invalidated: boolean;
  promise?: Promise<ConnectionPage>;
}

/** Tenants' cached pages, by page (limit and cursor). */
export interface ListingCache {
  /** The page under `pageKey`, from the cache or read by `read` (and kept unless invalidated). */
  page(tenantId: string, pageKey: string, read: () => Promise<ConnectionPage>): Promise<ConnectionPage>;
}

/**
 * The listing cache over `readCache` (the manager's read cache, whose TTL and invalidations it
 * follows) of the records whose names start with `prefix`.
 */
export function listingCache(readCache: CredentialCache, prefix: string): ListingCache {
  if (!readCache.enabled) return { page: (_tenantId, _pageKey, read) => read() };
  const tenants = new LRUCache<string, Map<string, ConnectionPage>>({
    max: MAX_TENANTS,
    ttl: readCache.ttlMs,
  });
  /** Loads in flight by tenant, then page key. An invalidation detaches them, so later callers read afresh. */
  const loads = new Map<string, Map<string, Load>>();
  readCache.onInvalidate((tenantId, connectionId) => {
    if (tenantId === undefined) {
      tenants.clear();
      for (const pending of loads.values()) for (const load of pending.values()) load.invalidated = true;
      loads.clear();
    } else if (connectionId?.startsWith(prefix)) {
      tenants.delete(tenantId);
      for (const load of loads.get(tenantId)?.values() ?? []) load.invalidated = true;
      loads.delete(tenantId);
    }
  });
  const keep = (tenantId: string, pageKey: string, page: ConnectionPage) => {
    let pages = tenants.get(tenantId);
    if (!pages) {
      pages = new Map();
      tenants.set(tenantId, pages);
    }
    pages.set(pageKey, page);
  };
  const start = (tenantId: string, pageKey: string, read: () => Promise<ConnectionPage>) => {
    let pending = loads.get(tenantId);
    if (!pending) {
      pending = new Map();
      loads.set(tenantId, pending);
    }
    const load: Load = { invalidated: false };
    const inFlight = pending;
    inFlight.set(pageKey, load);
    load.promise = (async () => {
      try {
        const page = deepFreeze(await read());
        if (!load.invalidated) keep(tenantId, pageKey, page);
        return page;
      } finally {
        if (inFlight.get(pageKey) === load) inFlight.delete(pageKey);
        if (inFlight.size === 0 && loads.get(tenantId) === inFlight) loads.delete(tenantId);
      }
    })();
    return load.promise;
  };
  return {
    page(tenantId, pageKey, read) {
      const hit = tenants.get(tenantId)?.get(pageKey);
      if (hit) return Promise.resolve(hit);
      return loads.get(tenantId)?.get(pageKey)?.promise ?? start(tenantId, pageKey, read);
    },
  };
}
