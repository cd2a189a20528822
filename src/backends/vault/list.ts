/**
 * Listing: the tenant folders, then the keys in each, sorted by `<tenant segment>/<connection segment>` (the cursor),
 * with each page's metadata read a batch at a time. Secrets under the prefix that credkit did
 * not write are skipped.
 */
import type { BackendListEntry, BackendListOptions, BackendListPage } from "../../core/backend.js";
import { type Kv, listKeys, readMetadata, readVersion } from "./kv.js";
import { goneState } from "./read.js";
import { listPath, parseBody, readEntry, recordPaths, refsFor } from "./records.js";

/** Metadata reads in flight at once while listing. */
const LIST_CONCURRENCY = 16;

type Position = readonly [tenantSegment: string, connectionSegment: string];

const positionOf = (record: Position) => `${record[0]}/${record[1]}`;

/** Every (tenant segment, connection segment) under the prefix, or under one tenant, in cursor order. */
async function recordNames(kv: Kv, tenantSegment: string | undefined): Promise<Position[]> {
  const { mount, prefix } = kv.settings;
  const tenantFolders =
    tenantSegment !== undefined
      ? [tenantSegment]
      : (await listKeys(kv, listPath(mount, prefix)))
          .filter((name) => name.endsWith("/"))
          .map((name) => name.slice(0, -1));
  const records: Position[] = [];
  for (const tenantFolder of tenantFolders) {
    for (const key of await listKeys(kv, listPath(mount, prefix, tenantFolder))) {
      if (!key.endsWith("/")) records.push([tenantFolder, key]);
    }
  }
  records.sort((a, b) => (positionOf(a) < positionOf(b) ? -1 : 1));
  return records;
}

/** One page of records after `options.cursor`. */
export async function listRecords(kv: Kv, options: BackendListOptions = {}): Promise<BackendListPage> {
  const records = await recordNames(kv, options.tenantSegment);
  let index = options.cursor
    ? records.findIndex((record) => positionOf(record) > (options.cursor as string))
    : 0;
  if (index < 0) index = records.length;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const entries: BackendListEntry[] = [];
  let last: string | undefined;
  while (index < records.length && entries.length < limit) {
    const batch = records.slice(index, index + Math.min(LIST_CONCURRENCY, limit - entries.length));
    const found = await Promise.all(
      batch.map(([tenantSegment, connectionSegment]) => listEntry(kv, tenantSegment, connectionSegment)),
    );
    for (const [offset, entry] of found.entries()) {
      last = positionOf(batch[offset] as Position);
      if (entry && (!entry.deleted || options.includeDeleted)) entries.push(entry);
    }
    index += batch.length;
  }
  return index < records.length && last !== undefined ? { entries, cursor: last } : { entries };
}

async function listEntry(
  kv: Kv,
  tenantSegment: string,
  connectionSegment: string,
): Promise<BackendListEntry | undefined> {
  const paths = recordPaths(kv.settings.mount, kv.settings.prefix, tenantSegment, connectionSegment);
  const metadata = await readMetadata(kv, paths, connectionSegment);
  const current = metadata?.current_version ?? 0;
  if (!metadata || current === 0) return undefined;
  const deleted = goneState(metadata.versions[String(current)]) !== undefined;
  const refs = refsFor(metadata.custom_metadata, current);
  let ref = refs[0];
  if (refs.length > 1 && !deleted) {
    // why: a writer died between its two steps; the version's own body says which entry is its.
    const result = await readVersion(kv, paths, connectionSegment, current);
    if ("found" in result) ref = parseBody(result.found.data)?.ref ?? ref;
  }
  const entry = ref === undefined ? undefined : readEntry(metadata.custom_metadata, ref);
  // why: a secret under the prefix that credkit did not write is not a credential record.
  return entry ? { metadata: entry, version: current, deleted } : undefined;
}
