/**
 * A bounded cache of unwrapped data keys, so reads do not call a KMS every time. Entries expire
 * by age, by number of uses and by count (least recently used first); an entry's key bytes are
 * overwritten with zeros when it leaves the cache. Callers get a copy, never the cached bytes.
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
  uses: number;
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`Data-key cache option ${option} must be a positive whole number.`);
  }
  return value;
}

/** Unwrapped data keys by an opaque id (key id, wrapped bytes and context). */
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
  take(id: string): Uint8Array | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    entry.uses += 1;
    const copy = Uint8Array.from(entry.key);
    if (entry.uses >= this.#maxUses) this.#entries.delete(id);
    return copy;
  }

  /** Caches a copy of `key` under `id`. */
  put(id: string, key: Uint8Array): void {
    this.#entries.set(id, { key: Uint8Array.from(key), uses: 0 });
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
