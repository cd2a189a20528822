/**
 * Writing a version. `publish` adds the next one: the record is written to a temporary file
 * (opened `O_SYNC`, so on disk once written), then hard-linked to its final name and the folder
 * fsynced. `link` fails if the name exists, so two writers can never both publish version N
 * (compare-and-set across processes), and a writer killed at any point leaves either the whole
 * version or none of it. `rewriteInPlace` replaces one existing version (temporary file on
 * disk, renamed over it, folder fsynced).
 */
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { missingRecord, versionConflict } from "../../core/backend-support.js";
import { UnavailableError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { renameNoReplace, syncDirectory, tempPath, writeDurably } from "./durable.js";
import { fileError, isCode, NAME } from "./errors.js";
import {
  DELETED_MARKER,
  EMPTY_FOLDER,
  type FolderState,
  folderState,
  readVersion,
  versionFile,
} from "./folder.js";

/** Temporary files older than this are leftovers of a killed writer. */
const STALE_TEMP_MS = 60_000;
/** Attempts of an unconditional write racing other writers before giving up. */
const MAX_WRITE_ATTEMPTS = 10_000;

/**
 * Removes versions beyond `maxVersions` and temporary files of killed writers (`temps`, as the
 * folder listing before the write showed them; the writer's own file is not among them).
 */
async function tidy(
  folder: string,
  versions: number[],
  temps: readonly string[],
  maxVersions: number,
): Promise<void> {
  const excess = versions.slice(0, Math.max(0, versions.length - maxVersions));
  await Promise.all(
    excess.map((version) => unlink(join(folder, versionFile(version))).catch(() => undefined)),
  );
  const now = Date.now();
  for (const name of temps) {
    const path = join(folder, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
  }
}

/** Writes the temporary file; the folder exists for every write but a credential's first. */
async function writeTemp(folder: string, temp: string, content: string): Promise<void> {
  try {
    await writeDurably(temp, content).catch(async (error: unknown) => {
      if (!isCode(error, "ENOENT")) throw error;
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await writeDurably(temp, content);
    });
  } catch (error) {
    throw fileError(error, "write a credential version");
  }
}

/** Publishes the next version of one credential (see the module comment). */
export async function publish(
  key: BackendKey,
  folder: string,
  write: BackendWrite,
  options: BackendPutOptions,
  maxVersions: number,
): Promise<{ version: number }> {
  const temp = tempPath(folder);
  const content = JSON.stringify(write);
  // why: the first listing needs nothing from the temporary file (the writer's own is filtered
  // out below), so it runs while that file is written to disk, not after.
  let listing: Promise<FolderState | undefined> | undefined = folderState(folder);
  listing.catch(() => undefined);
  let published = false;
  await writeTemp(folder, temp, content);
  try {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const { versions, deleted, temps } = (await (listing ?? folderState(folder))) ?? EMPTY_FOLDER;
      listing = undefined;
      const latest = versions.at(-1) ?? 0;
      const current = deleted ? 0 : latest;
      if (options.ifVersion !== undefined && options.ifVersion !== current) {
        throw versionConflict(NAME, key, options.ifVersion, current);
      }
      try {
        await renameNoReplace(temp, join(folder, versionFile(latest + 1)), folder);
      } catch (error) {
        if (isCode(error, "EEXIST")) {
          if (options.ifVersion !== undefined) throw versionConflict(NAME, key, options.ifVersion);
          continue;
        }
        if (isCode(error, "ENOENT")) {
          // why: a concurrent purge removed the folder; recreate it and try again.
          await mkdir(folder, { recursive: true, mode: 0o700 });
          await writeDurably(temp, content).catch(() => undefined);
          continue;
        }
        throw fileError(error, "publish a credential version");
      }
      published = true;
      if (deleted) await unlink(join(folder, DELETED_MARKER)).catch(() => undefined);
      const otherTemps = temps.filter((name) => !temp.endsWith(name));
      await tidy(folder, [...versions, latest + 1], otherTemps, maxVersions);
      return { version: latest + 1 };
    }
    throw new UnavailableError("Too many concurrent writers to one credential.", { source: NAME });
  } finally {
    if (!published) await unlink(temp).catch(() => undefined);
  }
}

/** Replaces one existing version's file atomically if its value is still `ifValue`. */
export async function rewriteInPlace(
  key: BackendKey,
  folder: string,
  version: number,
  write: BackendWrite,
  ifValue: string,
): Promise<void> {
  const existing = await readVersion(folder, version);
  if (!existing) throw missingRecord(NAME, key);
  if (existing.value !== ifValue) throw versionConflict(NAME, key, version);
  const temp = tempPath(folder);
  try {
    await writeDurably(temp, JSON.stringify(write));
    await rename(temp, join(folder, versionFile(version)));
    await syncDirectory(folder);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (isCode(error, "ENOENT")) throw missingRecord(NAME, key);
    throw fileError(error, "rewrite a credential version");
  }
}
