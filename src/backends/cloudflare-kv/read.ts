/**
 * Reads: the latest version comes from the head (one request); a pinned one is read beside the
 * head in one bulk request; `getMany` reads heads in bulk, then the version keys of stale ones.
 */
import type { BackendRecord } from "../../core/backend.js";
import { deletedRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { kvError, NAME } from "./errors.js";
import { parseStored, type StoredVersion } from "./layout.js";
import {
  bulkRead,
  type Current,
  call,
  checkKey,
  current,
  type KvStore,
  latestOf,
  parseHead,
  recordOf,
  resolve,
} from "./store.js";

/** The latest version of `key`, or `version`; undefined when it does not exist. */
export async function getRecord(
  store: KvStore,
  key: BackendKey,
  version?: number,
): Promise<BackendRecord | undefined> {
  const id = checkKey(store, key);
  let now: Current;
  let pinned: StoredVersion | undefined;
  if (version === undefined) {
    now = await current(store, id);
  } else {
    // why: the head (is it deleted?) and the pinned version in one round trip.
    const [head, stored] = await call(store, (attempt) =>
      store.transport.getMany([store.layout.head(id), store.layout.version(id, version)], attempt),
    );
    now = resolve(store, id, parseHead(head));
    pinned = stored === undefined ? undefined : parseStored(stored, "version");
  }
  if (!now.state || now.state.purged) return undefined;
  if (now.state.deleted) throw deletedRecord(NAME, key);
  if (version === undefined) {
    const latest = await latestOf(store, id, now);
    return latest ? recordOf(latest) : undefined;
  }
  if (version > now.state.version) return undefined;
  if (now.head && version === now.head.version) return recordOf(now.head);
  return pinned ? recordOf(pinned) : undefined;
}

/** Reads heads (and, for stale ones, version keys) of several ids; one slot per id. */
export async function readMany(
  store: KvStore,
  keys: readonly BackendKey[],
): Promise<Array<BackendRecord | undefined | Error>> {
  const ids = keys.map((key) => checkKey(store, key));
  const heads = await bulkRead(
    store,
    ids.map((id) => store.layout.head(id)),
  );
  const results: Array<BackendRecord | undefined | Error> = [];
  const stale: Array<{ slot: number; name: string }> = [];
  ids.forEach((id, slot) => {
    try {
      const now = resolve(store, id, parseHead(heads[slot]));
      if (!now.state || now.state.purged) results.push(undefined);
      else if (now.state.deleted) results.push(deletedRecord(NAME, keys[slot] as BackendKey));
      else if (now.head) results.push(recordOf(now.head));
      else {
        results.push(undefined);
        stale.push({ slot, name: store.layout.version(id, now.state.version) });
      }
    } catch (error) {
      results.push(kvError(error, "complete a KV call", store.transport.secrets()));
    }
  });
  const versions = await bulkRead(
    store,
    stale.map(({ name }) => name),
  );
  stale.forEach(({ slot }, index) => {
    const text = versions[index];
    try {
      results[slot] = text === undefined ? undefined : recordOf(parseStored(text, "version"));
    } catch (error) {
      results[slot] = kvError(error, "complete a KV call", store.transport.secrets());
    }
  });
  return results;
}
