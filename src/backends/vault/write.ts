/**
 * A write is two steps: the version's `custom_metadata` entry first (so a reader always finds
 * it), then the version itself with KV's check-and-set on the version read before. A write that
 * loses the race removes its entry and, without `ifVersion`, tries again after a backoff.
 */
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { versionConflict } from "../../core/backend-support.js";
import { ConflictError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { contentionBackoff } from "../../core/retry.js";
import { isCasMismatch, NAME } from "./errors.js";
import { call, type KeyMetadata, type Kv, patchCustomMetadata, readMetadata, readVersion } from "./kv.js";
import { goneState } from "./read.js";
import { entryOf, newRef, parseBody, prunePatch, type RecordPaths, recordPaths } from "./records.js";

/** Attempts of an unconditional write racing other writers before giving up with a conflict. */
const MAX_WRITE_ATTEMPTS = 60;

/** Writes a new version of `key`; `ifVersion` is the version it must replace (0: none). */
export async function putRecord(
  kv: Kv,
  key: BackendKey,
  write: BackendWrite,
  options: BackendPutOptions,
): Promise<{ version: number }> {
  const paths = recordPaths(kv.settings.mount, kv.settings.prefix, key.tenantSegment, key.connectionSegment);
  const { ifVersion } = options;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const metadata = await readMetadata(kv, paths, key.connectionId);
    const current = metadata?.current_version ?? 0;
    const live = current > 0 && !goneState(metadata?.versions[String(current)]);
    // why: a soft-deleted credential counts as absent, and writing over it revives it.
    const effective = live ? current : 0;
    if (ifVersion !== undefined && ifVersion !== effective) {
      throw versionConflict(NAME, key, ifVersion, effective);
    }
    const version = await attemptWrite(kv, paths, key, write, metadata);
    if (version !== undefined) return { version };
    if (ifVersion !== undefined) throw versionConflict(NAME, key, ifVersion);
    await contentionBackoff(attempt, 5, 200);
  }
  throw new ConflictError(
    `Credential "${key.connectionId}" is being written by too many writers at once; try again.`,
    undefined,
    { source: NAME },
  );
}

/** One attempt at the version after `metadata`'s: the version written, or undefined when it lost. */
async function attemptWrite(
  kv: Kv,
  paths: RecordPaths,
  key: BackendKey,
  write: BackendWrite,
  metadata: KeyMetadata | undefined,
): Promise<number | undefined> {
  const current = metadata?.current_version ?? 0;
  if (!metadata) {
    // why: PATCH needs the key to exist; a metadata write without custom_metadata creates
    // it without touching another writer's entries.
    await call(kv, `create credential "${key.connectionId}" at ${paths.metadata}`, (client) =>
      client.write(paths.metadata, { max_versions: kv.settings.maxVersions }, kv.settings.request),
    );
  }
  const ref = newRef(current + 1);
  const entry = entryOf(ref, write.metadata);
  const prune = prunePatch(
    metadata?.custom_metadata,
    metadata?.oldest_version ?? 0,
    current,
    Object.keys(entry).length,
  );
  // why: the entry is written before the version, so a reader always finds it.
  if (!(await patchCustomMetadata(kv, paths, key.connectionId, { ...prune, ...entry }))) return undefined;
  const outcome = await writeVersion(kv, paths, key.connectionId, write.value, ref, current);
  if ("version" in outcome) return outcome.version;
  if (outcome.retried && (await landed(kv, paths, key.connectionId, current + 1, ref))) return current + 1;
  // why: the entry of a write that lost is garbage; removing it is best effort.
  await patchCustomMetadata(
    kv,
    paths,
    key.connectionId,
    Object.fromEntries(Object.keys(entry).map((name) => [name, null])),
  ).catch(() => undefined);
  return undefined;
}

/** The data write under check-and-set: the new version, or a conflict (and whether it was retried). */
async function writeVersion(
  kv: Kv,
  paths: RecordPaths,
  name: string,
  payload: string,
  ref: string,
  cas: number,
): Promise<{ version: number } | { conflict: true; retried: boolean }> {
  let retried = false;
  const outcome = await call<{ version: number } | { conflict: true }>(
    kv,
    `write credential "${name}" at ${paths.data}`,
    async (client) => {
      try {
        const response = (await client.write(
          paths.data,
          { data: { payload, ref }, options: { cas } },
          kv.settings.request,
        )) as { data: { version: number } };
        return { version: response.data.version };
      } catch (error) {
        if (isCasMismatch(error)) return { conflict: true as const };
        throw error;
      }
    },
    (number) => {
      if (number > 0) retried = true;
    },
  );
  return "version" in outcome ? outcome : { conflict: true, retried };
}

/** After an ambiguous write (a retried attempt lost its answer): did our version land? */
async function landed(
  kv: Kv,
  paths: RecordPaths,
  name: string,
  version: number,
  ref: string,
): Promise<boolean> {
  try {
    const result = await readVersion(kv, paths, name, version);
    return "found" in result && parseBody(result.found.data)?.ref === ref;
  } catch {
    return false;
  }
}
