/**
 * A write: the version key first, then the head that points readers at it; `ifVersion` is
 * checked against the head read (best effort: KV has no compare-and-set). Writes to one
 * credential are serialised within the process. The version `maxVersions` back is deleted.
 */
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { versionConflict } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { NAME } from "./errors.js";
import { storedVersion } from "./layout.js";
import type { HeadState } from "./recent.js";
import { call, checkKey, current, expirationOf, type KvStore, writeHead } from "./store.js";

const isLive = (state: HeadState | undefined): state is HeadState =>
  state !== undefined && !state.purged && !state.deleted;

/** Writes a new version of `key`; `ifVersion` is the version it must replace (0: none). */
export function putRecord(
  store: KvStore,
  key: BackendKey,
  write: BackendWrite,
  options: BackendPutOptions,
): Promise<{ version: number }> {
  const id = checkKey(store, key);
  return store.recent.exclusive(id, async () => {
    const now = await current(store, id);
    const actual = isLive(now.state) ? now.state.version : 0;
    if (options.ifVersion !== undefined && options.ifVersion !== actual) {
      throw versionConflict(NAME, key, options.ifVersion, actual);
    }
    // why: numbering goes on after a soft delete, so no version key is ever reused.
    const version = (now.state && !now.state.purged ? now.state.version : 0) + 1;
    const stored = storedVersion(version, write.metadata, write.value);
    const expiration = expirationOf(store, write.metadata);
    await call(store, (attempt) =>
      store.transport.put(store.layout.version(id, version), JSON.stringify(stored), { expiration }, attempt),
    );
    await writeHead(store, id, {
      ...stored,
      rev: store.recent.nextRev(id, now.state?.rev ?? 0),
      deleted: false,
    });
    if (version > store.maxVersions) {
      // why: retention is housekeeping; the write has succeeded, and purge lists leftovers anyway.
      await call(store, (attempt) =>
        store.transport.delete(store.layout.version(id, version - store.maxVersions), attempt),
      ).catch(() => undefined);
    }
    return { version };
  });
}
