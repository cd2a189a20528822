/**
 * Delete (the `deleted` marker file), purge (the folder moved to the trash, then removed) and
 * restore (the marker removed).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BackendDeleteOptions } from "../../core/backend.js";
import { missingRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { fileError, isCode, NAME } from "./errors.js";
import { DELETED_MARKER, folderState } from "./folder.js";

/** A `NotFoundError` unless the folder holds at least one version. */
async function requireVersions(key: BackendKey, folder: string): Promise<void> {
  if (!(await folderState(folder))?.versions.length) throw missingRecord(NAME, key);
}

/** Moves the folder into `trash` (one rename, so readers see all or nothing), then removes it. */
async function purge(folder: string, trash: string): Promise<void> {
  try {
    await mkdir(trash, { recursive: true, mode: 0o700 });
    const doomed = join(trash, randomBytes(8).toString("hex"));
    await rename(folder, doomed);
    await rm(doomed, { recursive: true, force: true });
  } catch (error) {
    throw fileError(error, "purge a credential");
  }
}

/** Soft-deletes (marker file), or with `purge` removes the credential's folder. */
export async function deleteRecord(
  key: BackendKey,
  folder: string,
  trash: string,
  options: BackendDeleteOptions,
): Promise<void> {
  await requireVersions(key, folder);
  if (options.purge) return purge(folder, trash);
  try {
    await writeFile(join(folder, DELETED_MARKER), new Date().toISOString(), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if (isCode(error, "EEXIST")) throw missingRecord(NAME, key);
    throw fileError(error, "mark a credential deleted");
  }
}

/** Removes the soft-delete marker; restoring a live credential changes nothing. */
export async function restoreRecord(key: BackendKey, folder: string): Promise<void> {
  await requireVersions(key, folder);
  await unlink(join(folder, DELETED_MARKER)).catch((error: unknown) => {
    if (!isCode(error, "ENOENT")) throw fileError(error, "restore a credential");
  });
}
