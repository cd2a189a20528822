/**
 * The one seam between the two modes. Everything the backend does (layout, versions, soft
 * delete, expiry, stale-read handling, error mapping, retries) is written once against this
 * interface; `binding.ts` implements it over a Worker's `KVNamespace`, `http.ts` over the REST
 * API. Keys here are full KV key names (prefix included); values are UTF-8 text.
 */
import type { AttemptContext } from "../../core/retry.js";

/** One key of a listing, as KV returns it. */
export interface KvListedKey {
  readonly name: string;
  /** Unix seconds, when the key expires. */
  readonly expiration?: number | undefined;
  /** The key's metadata (parsed JSON), when it has any. */
  readonly metadata?: unknown | undefined;
}

/** A page of a listing. */
export interface KvListPage {
  readonly keys: readonly KvListedKey[];
  /** Present when there are more keys. */
  readonly cursor?: string | undefined;
}

/** What a write sets besides the value. */
export interface KvPutOptions {
  /** JSON metadata, at most 1024 bytes serialised. */
  readonly metadata?: unknown | undefined;
  /** Absolute expiry in Unix seconds, at least 60 s ahead. */
  readonly expiration?: number | undefined;
}

/**
 * A KV store reached one way or another. `attempt` is the retry attempt a call belongs to: its
 * signal aborts the call when the attempt runs out of time.
 */
export interface KvTransport {
  readonly mode: "binding" | "http";
  /**
   * Values a failure's text must never show (the API token), passed to `scrubError`. A method, so
   * no spread, JSON or inspect of the transport shows them.
   */
  secrets(): readonly string[];
  /** The value, or undefined when the key is confirmed absent. */
  get(key: string, attempt: AttemptContext): Promise<string | undefined>;
  /** Up to `MAX_BULK_GET_KEYS` values in one call; a slot is undefined when absent. */
  getMany(keys: readonly string[], attempt: AttemptContext): Promise<Array<string | undefined>>;
  put(key: string, value: string, options: KvPutOptions, attempt: AttemptContext): Promise<void>;
  /** Deletes a key; deleting an absent key succeeds, as in KV. */
  delete(key: string, attempt: AttemptContext): Promise<void>;
  /** Deletes several keys (one request where the transport has a bulk delete). */
  deleteMany(keys: readonly string[], attempt: AttemptContext): Promise<void>;
  list(
    options: { prefix: string; limit: number; cursor?: string },
    attempt: AttemptContext,
  ): Promise<KvListPage>;
}

/** The most keys one bulk read may ask for (REST `POST /bulk/get` and the binding's array `get`). */
export const MAX_BULK_GET_KEYS = 100;
/** The most keys one REST bulk delete may carry. */
export const MAX_BULK_DELETE_KEYS = 10_000;
/** KV's page size bounds for listing (the REST API refuses a `limit` under 10). */
export const MIN_LIST_LIMIT = 10;
export const MAX_LIST_LIMIT = 1000;

/**
 * A failure reported by KV: the HTTP status and the Cloudflare error code when there is one.
 * Its message comes from KV and holds no credential, but is still scrubbed when wrapped.
 */
export class KvFailure extends Error {
  readonly status: number | undefined;
  readonly code: number | undefined;

  constructor(message: string, status?: number, code?: number) {
    super(message);
    this.status = status;
    this.code = code;
  }

  override get name(): string {
    return "KvFailure";
  }
}
