/**
 * A bounded cache of data keys, so reads (unwrapped keys) and writes (a generated key with its
 * wrapped form) do not call a KMS every time. Entries expire by age, by number of uses and by
 * count (least recently used first); an entry's key bytes are overwritten with zeros when it
 * leaves the cache. `put` takes ownership of the bytes it is given; callers of `take` get a copy,
 * never the cached bytes.
 */
import { LRUCache } from "lru-cache";
import { ConfigurationError } from "./errors.js";

/** Bounds of the data-key cache. Every bound is enforced; the first one reached evicts. */
export interface DataKeyCacheOptions {
  /**
   * Longest time an unwrapped data key stays in memory, in milliseconds. Longer means fewer KMS
   * calls; shorter means a disabled KMS key stops reads sooner.
   * @default 300000 (5 minutes)
   */
  maxAgeMs?: number | undefined;
  /**
   * Times one cached data key may be used before it is unwrapped again.
   * @default 10000
   */
  maxUses?: number | undefined;
  /**
   * Most data keys held at once (each is 32 bytes plus bookkeeping).
   * @default 1000
   */
  maxEntries?: number | undefined;
}

interface Entry {
  readonly key: Uint8Array;
  readonly wrapped: Uint8Array | undefined;
  uses: number;
}

/** A data key taken from the cache: a copy of the key, and its wrapped form when one was put. */
export interface CachedDataKey {
  readonly dataKey: Uint8Array;
  readonly wrapped: Uint8Array | undefined;
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`Data-key cache option ${option} must be a positive whole number.`);
  }
  return value;
}

/** Data keys by an opaque id (wrapped bytes and context for reads; key id and context for writes). */
export class DataKeyCache {
  readonly #maxUses: number;
  readonly #entries: LRUCache<string, Entry>;

  constructor(options: DataKeyCacheOptions = {}) {
    this.#maxUses = positiveInteger(options.maxUses, 10_000, "maxUses");
    this.#entries = new LRUCache<string, Entry>({
      max: positiveInteger(options.maxEntries, 1000, "maxEntries"),
      ttl: positiveInteger(options.maxAgeMs, 300_000, "maxAgeMs"),
      ttlAutopurge: false,
      dispose: (entry) => entry.key.fill(0),
    });
  }

  /** A copy of the cached key, counting one use; undefined when absent, expired or used up. */
  take(id: string): CachedDataKey | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    entry.uses += 1;
    const taken = { dataKey: Uint8Array.from(entry.key), wrapped: entry.wrapped };
    if (entry.uses >= this.#maxUses) this.#entries.delete(id);
    return taken;
  }

  /**
   * Caches `key` (and its wrapped form) under `id`, taking ownership of the key bytes: they are
   * zeroed when the entry leaves the cache. Pass a copy of a key still in use elsewhere.
   */
  put(id: string, key: Uint8Array, wrapped?: Uint8Array): void {
    // why: expired keys otherwise stay in memory, unwiped, until something touches them.
    this.#entries.purgeStale();
    this.#entries.set(id, { key, wrapped, uses: 0 });
  }

  /** Number of keys held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops (and wipes) every key. */
  clear(): void {
    this.#entries.clear();
  }
}
