/**
 * The read cache the core puts in front of every backend.
 *
 * - Keyed by tenant id, connection id and version (`latest` or a number); a hit is one map lookup.
 * - Short TTL, bounded size with LRU eviction (lru-cache).
 * - Concurrent misses for one key share one load (single-flight).
 * - Stale-if-error: when a load fails with a transient error, the last good value is served if
 *   it is younger than `maxStaleMs`, and the caller is told so.
 * - Writes, deletes and rotations invalidate; a load that was in flight when its key was
 *   invalidated is handed to its waiters but not stored.
 */
import { LRUCache } from "lru-cache";
import type { RecordMetadata } from "./backend.js";
import { isTransientError } from "./errors.js";
import type { SecretFields } from "./secret.js";

/** Cache settings. */
export interface CacheOptions {
  /**
   * How long a value is served without asking the backend, in milliseconds. `0` turns the
   * cache off.
   * @default 5000
   */
  ttlMs?: number | undefined;
  /**
   * Most entries kept; the least recently used go first.
   * @default 1000
   */
  maxEntries?: number | undefined;
  /**
   * How old a last good value may be and still be served when the backend fails transiently.
   * `0` never serves stale values.
   * @default 60000
   */
  maxStaleMs?: number | undefined;
}

/** A decrypted credential as the cache keeps it. Frozen: handed out as is on every hit. */
export interface CachedCredential {
  readonly fields: SecretFields;
  readonly version: number;
  readonly metadata: RecordMetadata;
  /** `metadata.expiresAt` in epoch milliseconds, parsed once. */
  readonly expiresAt: number | undefined;
  /** Epoch milliseconds when it was read from the backend. */
  readonly fetchedAt: number;
}

/** A load's result and how it was obtained. */
export interface CacheLoad {
  readonly value: CachedCredential;
  readonly outcome: "miss" | "stale";
}

/** A read outside `load` whose results may be cached: see `CredentialCache.ticket`. */
export interface CacheTicket {
  /** Caches `value` under `key` unless the key was invalidated since the ticket was taken. */
  set(key: string, value: CachedCredential): void;
  /** Ends the ticket; call it when the read is done, whatever its outcome. */
  release(): void;
}

/** The keys of one open ticket, and which of them were invalidated since. */
interface Watch {
  readonly keys: ReadonlySet<string>;
  readonly invalidated: Set<string>;
}

/**
 * Told of every invalidation: of one credential's latest value (`allVersions` false) or every
 * version, or of everything (`connectionId` and `tenantId` undefined, after `clear`). For caches derived
 * from stored records (listings), which must drop what a write changed.
 */
export type InvalidationListener = (tenantId: string | undefined, connectionId: string | undefined) => void;

interface InFlight {
  readonly promise: Promise<CacheLoad>;
  invalidated: boolean;
}

const DEFAULT_TTL_MS = 5000;
const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_MAX_STALE_MS = 60_000;

/** Most memoised latest-version keys before the memo starts over. */
const MAX_MEMOISED_KEYS = 10_000;
/** tenant id → connection id → key. Building and hashing a fresh key string costs more than a whole hit. */
const latestKeys = new Map<string, Map<string, string>>();
let memoisedKeys = 0;

/** The cache key of a credential version; `version` undefined means latest. */
export function cacheKey(tenantId: string, connectionId: string, version?: number): string {
  if (version !== undefined) return `${keyPrefix(tenantId, connectionId)}${version}`;
  let connectionKeys = latestKeys.get(tenantId);
  let key = connectionKeys?.get(connectionId);
  if (key === undefined) {
    key = `${keyPrefix(tenantId, connectionId)}latest`;
    if (memoisedKeys >= MAX_MEMOISED_KEYS) {
      latestKeys.clear();
      memoisedKeys = 0;
      connectionKeys = undefined;
    }
    if (!connectionKeys) {
      connectionKeys = new Map();
      latestKeys.set(tenantId, connectionKeys);
    }
    connectionKeys.set(connectionId, key);
    memoisedKeys++;
  }
  return key;
}

function keyPrefix(tenantId: string, connectionId: string): string {
  return `${tenantId.length}:${tenantId}${connectionId.length}:${connectionId}@`;
}

export class CredentialCache {
  readonly enabled: boolean;
  /** How long a value is served without asking the backend; 0 when the cache is off. */
  readonly ttlMs: number;
  readonly #listeners = new Set<InvalidationListener>();
  readonly #maxStaleMs: number;
  readonly #entries: LRUCache<string, CachedCredential> | undefined;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #watches = new Set<Watch>();

  constructor(options: CacheOptions = {}) {
    const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
    this.enabled = ttl > 0;
    this.ttlMs = this.enabled ? ttl : 0;
    this.#maxStaleMs = options.maxStaleMs ?? DEFAULT_MAX_STALE_MS;
    this.#entries = this.enabled
      ? new LRUCache({
          max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
          ttl,
          // why: expired entries stay until evicted so stale-if-error can still serve them.
          noDeleteOnStaleGet: true,
        })
      : undefined;
  }

  /** A fresh cached value, or undefined. The hit path: one lookup, nothing else. */
  get(key: string): CachedCredential | undefined {
    return this.#entries?.get(key);
  }

  /**
   * Starts a read outside `load` (a batch read) of the given keys. The ticket's `set` stores a
   * value only if its key was not invalidated since the ticket was taken, so a purge or write
   * during the read never has its old value put back. `release` ends the ticket.
   */
  ticket(keys: readonly string[]): CacheTicket {
    const watch: Watch = { invalidated: new Set(), keys: new Set(keys) };
    this.#watches.add(watch);
    return {
      set: (key, value) => {
        if (watch.keys.has(key) && !watch.invalidated.has(key)) this.#entries?.set(key, value);
      },
      release: () => {
        this.#watches.delete(watch);
      },
    };
  }

  /**
   * Loads through `loader`, sharing one call among concurrent callers for the same key. With
   * the cache off, every call loads.
   */
  load(key: string, loader: () => Promise<CachedCredential>): Promise<CacheLoad> {
    const existing = this.#inFlight.get(key);
    if (existing) return existing.promise;
    const flight: InFlight = { promise: this.#run(key, loader), invalidated: false };
    this.#inFlight.set(key, flight);
    const settle = () => {
      if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key);
    };
    flight.promise.then((result) => {
      if (!flight.invalidated && result.outcome === "miss") this.#entries?.set(key, result.value);
      settle();
    }, settle);
    return flight.promise;
  }

  async #run(key: string, loader: () => Promise<CachedCredential>): Promise<CacheLoad> {
    try {
      return { value: await loader(), outcome: "miss" };
    } catch (error) {
      const last = isTransientError(error) ? this.#entries?.get(key, { allowStale: true }) : undefined;
      if (last && Date.now() - last.fetchedAt <= this.#maxStaleMs) {
        return { value: last, outcome: "stale" };
      }
      throw error;
    }
  }

  /** Drops the latest value of a credential (after a write); with `allVersions`, every version. */
  invalidate(tenantId: string, connectionId: string, allVersions = false): void {
    for (const listener of this.#listeners) listener(tenantId, connectionId);
    const latest = cacheKey(tenantId, connectionId);
    this.#drop(latest);
    if (!allVersions || !this.#entries) return;
    const prefix = keyPrefix(tenantId, connectionId);
    for (const key of [...this.#entries.keys(), ...this.#inFlight.keys()]) {
      if (key.startsWith(prefix)) this.#drop(key);
    }
  }

  #drop(key: string): void {
    this.#entries?.delete(key);
    for (const watch of this.#watches) if (watch.keys.has(key)) watch.invalidated.add(key);
    const flight = this.#inFlight.get(key);
    if (flight) {
      flight.invalidated = true;
      this.#inFlight.delete(key);
    }
  }

  /** The fresh cached latest versions, for version polling. */
  *latest(): Generator<CachedCredential> {
    if (!this.#entries) return;
    for (const [key, value] of this.#entries.entries()) if (key.endsWith("@latest")) yield value;
  }

  /** Calls `listener` on every invalidation and clear, for as long as the cache lives. */
  onInvalidate(listener: InvalidationListener): void {
    this.#listeners.add(listener);
  }

  /** Empties the cache. */
  clear(): void {
    for (const listener of this.#listeners) listener(undefined, undefined);
    this.#entries?.clear();
    for (const watch of this.#watches) for (const key of watch.keys) watch.invalidated.add(key);
    for (const flight of this.#inFlight.values()) flight.invalidated = true;
    this.#inFlight.clear();
  }
}
