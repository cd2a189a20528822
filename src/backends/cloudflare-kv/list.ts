/**
 * Listing reads head keys under the tenant's prefix. Each head's list index (KV metadata) holds
 * its metadata and version; a head whose metadata did not fit is read in bulk. The cursor is
 * KV's cursor plus how many keys of that KV page were already served.
 */
import type { BackendListEntry, BackendListOptions, BackendListPage } from "../../core/backend.js";
import { decodeCursor, encodeCursor, parseIndex } from "./layout.js";
import { bulkRead, call, type KvStore, parseHead } from "./store.js";
import type { KvListedKey } from "./transport.js";
import { MAX_LIST_LIMIT, MIN_LIST_LIMIT } from "./transport.js";

/** One page of records after `options.cursor`. */
export async function listRecords(
  store: KvStore,
  options: BackendListOptions = {},
): Promise<BackendListPage> {
  const { kv, skip } = decodeCursor(options.cursor);
  const limit = options.limit && options.limit > 0 ? options.limit : MAX_LIST_LIMIT;
  // why: KV pages hold 10 to 1000 keys; a smaller page is a slice of one, and the cursor says where.
  const kvLimit = Math.min(MAX_LIST_LIMIT, Math.max(MIN_LIST_LIMIT, skip + limit));
  const page = await call(store, (attempt) =>
    store.transport.list(
      { prefix: store.layout.heads(options.tenantSegment), limit: kvLimit, cursor: kv },
      attempt,
    ),
  );
  const served = page.keys.slice(skip, skip + limit);
  const end = skip + served.length;
  const cursor =
    end < page.keys.length
      ? encodeCursor({ ...(kv ? { kv } : {}), skip: end })
      : page.cursor
        ? encodeCursor({ kv: page.cursor, skip: 0 })
        : undefined;
  const visible = (await entriesOf(store, served)).filter(
    (entry): entry is BackendListEntry =>
      entry !== undefined && (options.includeDeleted === true || !entry.deleted),
  );
  return cursor ? { entries: visible, cursor } : { entries: visible };
}

/** The entry of each listed head: from its index, or from the head itself. */
async function entriesOf(
  store: KvStore,
  served: readonly KvListedKey[],
): Promise<Array<BackendListEntry | undefined>> {
  const headPrefix = store.layout.heads();
  const entries: Array<BackendListEntry | undefined> = [];
  const unindexed: Array<{ slot: number; id: string }> = [];
  for (const listed of served) {
    const index = parseIndex(listed.metadata);
    if (index?.m) {
      entries.push({ metadata: index.m, version: index.v, deleted: index.d === 1 });
    } else {
      // why: the compact index (metadata over 1024 bytes) or a missing one: read the head.
      unindexed.push({ slot: entries.length, id: listed.name.slice(headPrefix.length) });
      entries.push(undefined);
    }
  }
  const texts = await bulkRead(
    store,
    unindexed.map(({ id }) => store.layout.head(id)),
  );
  unindexed.forEach(({ slot }, index) => {
    const head = parseHead(texts[index]);
    if (head) entries[slot] = { metadata: head.metadata, version: head.version, deleted: head.deleted };
  });
  return entries;
}
