/** Listing: credential folders sorted by `<tenant segment>/<connection segment>`, paged, latest version's metadata each. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { BackendListEntry, BackendListOptions, BackendListPage } from "../../core/backend.js";
import { pageByKey } from "../../core/list-paging.js";
import { folderState, readVersion } from "./folder.js";

/** Every credential folder under `records` (one tenant's with `tenantSegment`), sorted by key. */
async function credentialFolders(
  records: string,
  tenantSegment: string | undefined,
): Promise<Array<[string, string]>> {
  const tenantFolders =
    tenantSegment !== undefined ? [tenantSegment] : await readdir(records).catch(() => [] as string[]);
  const folders: Array<[string, string]> = [];
  for (const tenantFolder of tenantFolders.sort()) {
    const connectionFolders = await readdir(join(records, tenantFolder)).catch(() => [] as string[]);
    for (const connectionFolder of connectionFolders.sort())
      folders.push([`${tenantFolder}/${connectionFolder}`, join(records, tenantFolder, connectionFolder)]);
  }
  return folders;
}

/** One page of credentials; soft-deleted ones only with `includeDeleted`. */
export async function listRecords(records: string, options: BackendListOptions): Promise<BackendListPage> {
  const folders = await credentialFolders(records, options.tenantSegment);
  // why: the page is cut from the sorted folder list, so only one page's records are read.
  const page = pageByKey(folders, options.cursor, options.limit);
  const entries: BackendListEntry[] = [];
  for (const folder of page.items) {
    const state = await folderState(folder);
    const latest = state?.versions.at(-1);
    if (state === undefined || latest === undefined) continue;
    const { deleted } = state;
    if (deleted && !options.includeDeleted) continue;
    const record = await readVersion(folder, latest);
    if (record) entries.push({ metadata: record.metadata, version: latest, deleted });
  }
  return page.cursor ? { entries, cursor: page.cursor } : { entries };
}
