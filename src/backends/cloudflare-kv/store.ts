/**
 * What every operation shares: one retried KV call, key checks, the KV expiry of a record, and
 * where a credential stands (its head as read, or this process's newer write, from `recent.ts`).
 */
import type { BackendRecord, RecordMetadata } from "../../core/backend.js";
import { ValidationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type AttemptContext, withRetry } from "../../core/retry.js";
import type { KvSettings } from "./config.js";
import { kvError, NAME } from "./errors.js";
import { headIndex as headIndexOf, parseStored, type StoredHead, type StoredVersion } from "./layout.js";
import { type HeadState, RecentWrites } from "./recent.js";
import { MAX_BULK_GET_KEYS } from "./transport.js";

/** KV refuses an expiry less than 60 s ahead. */
export const MIN_EXPIRATION_SECONDS = 60;
/** Added to that minimum, so a clock a little behind Cloudflare's is not refused. */
const CLOCK_SLACK_SECONDS = 10;

/** The settings and this process's recent writes. */
export interface KvStore extends KvSettings {
  readonly recent: RecentWrites;
}

/** The store of `settings`, with no write remembered yet. */
export function kvStore(settings: KvSettings): KvStore {
  return { ...settings, recent: new RecentWrites() };
}

/**
 * Where a credential stands: the head as read, or, when this process wrote something newer
 * within KV's propagation window, the remembered state (`head` then is undefined).
 */
export interface Current {
  readonly state: HeadState | undefined;
  readonly head: StoredHead | undefined;
}

/** One KV call with bounded retries; every failure comes out as a typed credkit error. */
export function call<T>(store: KvStore, operation: (attempt: AttemptContext) => Promise<T>): Promise<T> {
  return withRetry(
    operation,
    (error) => kvError(error, "complete a KV call", store.transport.secrets()),
    store.retry,
  );
}

/** The key's id; a `ValidationError` when it is too long for KV with this prefix. */
export function checkKey(store: KvStore, key: BackendKey): string {
  const { maxKeyLength } = store.layout;
  if (key.id.length > maxKeyLength) {
    throw new ValidationError(
      `The backend key is ${key.id.length} characters; Cloudflare KV allows ${maxKeyLength} with this prefix.`,
      "key",
      { source: NAME },
    );
  }
  return key.id;
}

/** The KV expiry for a record: `expiresAt` plus the grace, never under KV's minimum. */
export function expirationOf(store: KvStore, metadata: RecordMetadata): number | undefined {
  if (store.grace === false || metadata.expiresAt === undefined) return undefined;
  const expiresAt = Date.parse(metadata.expiresAt);
  if (Number.isNaN(expiresAt)) return undefined;
  const earliest = Math.floor(Date.now() / 1000) + MIN_EXPIRATION_SECONDS + CLOCK_SLACK_SECONDS;
  return Math.max(Math.ceil(expiresAt / 1000) + store.grace, earliest);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function stateOf(head: StoredHead): HeadState {
  return { version: head.version, rev: head.rev, deleted: head.deleted, purged: false };
}

export function recordOf(stored: StoredVersion): BackendRecord {
  return { value: stored.value, metadata: stored.metadata, version: stored.version };
}

export function parseHead(text: string | undefined): StoredHead | undefined {
  return text === undefined ? undefined : parseStored(text, "head");
}

/** The head as read, unless this process remembers a newer write. */
export function resolve(store: KvStore, id: string, head: StoredHead | undefined): Current {
  const remembered = store.recent.recall(id);
  if (remembered && (!head || head.rev < remembered.rev)) return { state: remembered, head: undefined };
  return head ? { state: stateOf(head), head } : { state: undefined, head: undefined };
}

/** Where credential `id` stands now. */
export async function current(store: KvStore, id: string): Promise<Current> {
  const text = await call(store, (attempt) => store.transport.get(store.layout.head(id), attempt));
  return resolve(store, id, parseHead(text));
}

export async function readVersion(
  store: KvStore,
  id: string,
  version: number,
): Promise<StoredVersion | undefined> {
  const text = await call(store, (attempt) =>
    store.transport.get(store.layout.version(id, version), attempt),
  );
  return text === undefined ? undefined : parseStored(text, "version");
}

/** The latest stored version, from the head or (when the head read was stale) its version key. */
export async function latestOf(store: KvStore, id: string, now: Current): Promise<StoredVersion | undefined> {
  return now.head ?? (now.state ? readVersion(store, id, now.state.version) : undefined);
}

/** Writes the head (with its list index as KV metadata) and remembers it. */
export async function writeHead(store: KvStore, id: string, head: StoredHead): Promise<void> {
  await call(store, (attempt) =>
    store.transport.put(
      store.layout.head(id),
      JSON.stringify(head),
      { metadata: headIndexOf(head), expiration: expirationOf(store, head.metadata) },
      attempt,
    ),
  );
  store.recent.remember(id, stateOf(head));
}

/** Values of many keys, in bulk reads of at most 100; a slot is undefined when absent. */
export async function bulkRead(store: KvStore, names: readonly string[]): Promise<Array<string | undefined>> {
  const values: Array<string | undefined> = [];
  for (const part of chunks(names, MAX_BULK_GET_KEYS)) {
    values.push(...(await call(store, (attempt) => store.transport.getMany(part, attempt))));
  }
  return values;
}
