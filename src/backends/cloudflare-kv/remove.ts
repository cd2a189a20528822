/**
 * Delete rewrites the head as deleted; restore rewrites it as live; purge deletes every version
 * key, then the head (so an interrupted purge can simply be retried).
 */
import type { BackendDeleteOptions } from "../../core/backend.js";
import { missingRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { NAME } from "./errors.js";
import type { HeadState } from "./recent.js";
import { call, checkKey, chunks, current, type KvStore, latestOf, writeHead } from "./store.js";
import { MAX_BULK_DELETE_KEYS, MAX_LIST_LIMIT } from "./transport.js";

/** Soft-deletes `key` (its head says so), or with `purge` removes every key it has. */
export async function deleteRecord(
  store: KvStore,
  key: BackendKey,
  options: BackendDeleteOptions,
): Promise<void> {
  const id = checkKey(store, key);
  await store.recent.exclusive(id, async () => {
    const now = await current(store, id);
    if (!now.state || now.state.purged || (now.state.deleted && !options.purge)) {
      throw missingRecord(NAME, key);
    }
    if (options.purge) return purge(store, id, now.state);
    const latest = await latestOf(store, id, now);
    if (!latest) throw missingRecord(NAME, key);
    await writeHead(store, id, { ...latest, rev: store.recent.nextRev(id, now.state.rev), deleted: true });
  });
}

/** Makes a soft-deleted `key` live again; nothing to do when it is live. */
export async function restoreRecord(store: KvStore, key: BackendKey): Promise<void> {
  const id = checkKey(store, key);
  await store.recent.exclusive(id, async () => {
    const now = await current(store, id);
    if (!now.state || now.state.purged) throw missingRecord(NAME, key);
    if (!now.state.deleted) return;
    const latest = await latestOf(store, id, now);
    if (!latest) throw missingRecord(NAME, key);
    await writeHead(store, id, { ...latest, rev: store.recent.nextRev(id, now.state.rev), deleted: false });
  });
}

async function purge(store: KvStore, id: string, state: HeadState): Promise<void> {
  // why: versions first, the head last, so an interrupted purge can simply be retried.
  const names = await versionKeys(store, id, state.version);
  for (const part of chunks(names, MAX_BULK_DELETE_KEYS)) {
    await call(store, (attempt) => store.transport.deleteMany(part, attempt));
  }
  await call(store, (attempt) => store.transport.delete(store.layout.head(id), attempt));
  store.recent.remember(id, {
    version: 0,
    rev: store.recent.nextRev(id, state.rev),
    deleted: false,
    purged: true,
  });
}

/** Every version key of a credential: the ones this backend keeps, and any a listing shows. */
async function versionKeys(store: KvStore, id: string, latest: number): Promise<string[]> {
  const names = new Set<string>();
  for (let version = Math.max(1, latest - store.maxVersions + 1); version <= latest; version++) {
    names.add(store.layout.version(id, version));
  }
  let cursor: string | undefined;
  do {
    const page = await call(store, (attempt) =>
      store.transport.list({ prefix: store.layout.versions(id), limit: MAX_LIST_LIMIT, cursor }, attempt),
    );
    for (const key of page.keys) names.add(key.name);
    cursor = page.cursor;
  } while (cursor);
  return [...names];
}
