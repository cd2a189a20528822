/**
 * Delete (KV's soft delete of the latest version), purge (`destroy` of every version, then the
 * key's metadata) and restore (`undelete` of the latest version).
 */
import type { BackendDeleteOptions } from "../../core/backend.js";
import { missingRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { NAME } from "./errors.js";
import { call, type KeyMetadata, type Kv, readMetadata } from "./kv.js";
import { deletedError, goneState } from "./read.js";
import { type RecordPaths, recordPaths } from "./records.js";

/** The key's paths and metadata; a `NotFoundError` when it has no version. */
async function existing(kv: Kv, key: BackendKey): Promise<{ paths: RecordPaths; metadata: KeyMetadata }> {
  const paths = recordPaths(kv.settings.mount, kv.settings.prefix, key.tenantSegment, key.connectionSegment);
  const metadata = await readMetadata(kv, paths, key.connectionId);
  if (!metadata || metadata.current_version === 0) throw missingRecord(NAME, key);
  return { paths, metadata };
}

/** Soft-deletes the latest version, or with `purge` destroys every version and the key. */
export async function deleteRecord(kv: Kv, key: BackendKey, options: BackendDeleteOptions): Promise<void> {
  const { paths, metadata } = await existing(kv, key);
  if (options.purge) {
    const versions = Object.entries(metadata.versions)
      .filter(([, state]) => !state.destroyed)
      .map(([version]) => Number(version));
    if (versions.length > 0) {
      await call(kv, `destroy credential "${key.connectionId}" at ${paths.destroy}`, (client) =>
        client.write(paths.destroy, { versions }, kv.settings.request),
      );
    }
    await call(kv, `purge credential "${key.connectionId}" at ${paths.metadata}`, (client) =>
      client.delete(paths.metadata, kv.settings.request),
    );
    return;
  }
  if (goneState(metadata.versions[String(metadata.current_version)])) throw missingRecord(NAME, key);
  await call(kv, `delete credential "${key.connectionId}" at ${paths.data}`, (client) =>
    client.delete(paths.data, kv.settings.request),
  );
}

/** Undeletes a soft-deleted latest version; a destroyed one is a `DeletedError`. */
export async function restoreRecord(kv: Kv, key: BackendKey): Promise<void> {
  const { paths, metadata } = await existing(kv, key);
  const current = metadata.current_version;
  const state = goneState(metadata.versions[String(current)]);
  if (state === "destroyed") throw deletedError(key, state);
  if (state === "deleted") {
    await call(kv, `restore credential "${key.connectionId}" at ${paths.undelete}`, (client) =>
      client.write(paths.undelete, { versions: [current] }, kv.settings.request),
    );
  }
}
