/** Durable file-system steps: files written and fsynced before they are published. */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, link, open, unlink } from "node:fs/promises";
import { join } from "node:path";

/** Prefix of a writer's temporary file inside a credential folder. */
export const TEMP_PREFIX = ".tmp-";

/** A fresh temporary file name inside `folder`. */
export function tempPath(folder: string): string {
  return join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

/**
 * Closes `handle` without waiting for it: nothing is left to write through it (it was only read,
 * or fsynced), so no outcome of the close changes what the caller did with it.
 */
export function release(handle: FileHandle): void {
  handle.close().catch(() => undefined);
}

/**
 * Creates `path` (0600; fails if it exists), writes `content` and fsyncs it. The handle is
 * returned open, for the caller to `release` once it goes on with the file.
 */
export async function createDurably(path: string, content: string): Promise<FileHandle> {
  const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Creates `path` (0600; fails if it exists), writes `content`, fsyncs and closes it. */
export async function writeDurably(path: string, content: string): Promise<void> {
  release(await createDurably(path, content));
}

/** Fsyncs the open directory `handle`, then releases it. */
async function syncAndRelease(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } finally {
    release(handle);
  }
}

/** Fsyncs a directory, so the names just linked or renamed into it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  await syncAndRelease(await open(path, constants.O_RDONLY));
}

/**
 * Renames the fsynced file `temp` to `target` in `folder` unless `target` exists (then `EEXIST`,
 * and `temp` stays): a hard link, the folder fsynced so the new name survives a crash, and the
 * temporary name removed (a crash may keep it: a leftover). The folder is opened while the link
 * is made: `temp` is in it already, and a folder once moved away (a purge) never comes back, so
 * the folder opened is the one linked into whenever the link succeeds.
 */
export async function renameNoReplace(temp: string, target: string, folder: string): Promise<void> {
  const [linked, directory] = await Promise.allSettled([
    link(temp, target),
    open(folder, constants.O_RDONLY),
  ]);
  if (linked.status === "rejected") {
    if (directory.status === "fulfilled") release(directory.value);
    throw linked.reason;
  }
  if (directory.status === "rejected") throw directory.reason;
  await Promise.all([syncAndRelease(directory.value), unlink(temp).catch(() => undefined)]);
}
