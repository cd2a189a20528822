/** Durable file-system steps: files on disk before they are published. */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, unlink } from "node:fs/promises";
import { join } from "node:path";
import { closeNow, openDescriptor, syncDescriptor, writeToDescriptor } from "./descriptors.js";

/** Prefix of a writer's temporary file inside a credential folder. */
export const TEMP_PREFIX = ".tmp-";

/** A fresh temporary file name inside `folder`. */
export function tempPath(folder: string): string {
  return join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

/** `O_SYNC` where the platform has it (not on Windows, whose `node:fs` constants lack it). */
const SYNCHRONOUS_WRITES: number | undefined = constants.O_SYNC;

/**
 * Creates `path` (0600; fails if it exists) and writes `content` durably. The file is opened
 * `O_SYNC`, so each write returns once its data and the file's metadata are on disk, as an
 * `fsync` after it would guarantee, without a separate call; without `O_SYNC`, it is fsynced.
 */
export async function writeDurably(path: string, content: string): Promise<void> {
  const { O_CREAT, O_EXCL, O_WRONLY } = constants;
  const file = await openDescriptor(path, O_CREAT | O_EXCL | O_WRONLY | (SYNCHRONOUS_WRITES ?? 0), 0o600);
  try {
    await writeToDescriptor(file, content, "utf8");
    if (SYNCHRONOUS_WRITES === undefined) await syncDescriptor(file);
  } finally {
    closeNow(file);
  }
}

/** Fsyncs a directory, so the names just linked or renamed into it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await openDescriptor(path, constants.O_RDONLY);
  try {
    await syncDescriptor(directory);
  } finally {
    closeNow(directory);
  }
}

/**
 * Renames the durably written file `temp` to `target` in `folder` unless `target` exists (then
 * `EEXIST`, and `temp` stays): a hard link, the folder fsynced so the new name survives a crash,
 * and the temporary name removed (a crash may keep it: a leftover). The folder is opened while
 * the link is made: `temp` is in it already, and a folder once moved away (a purge) never comes
 * back, so the folder opened is the one linked into whenever the link succeeds.
 */
export async function renameNoReplace(temp: string, target: string, folder: string): Promise<void> {
  const [linked, opened] = await Promise.allSettled([
    link(temp, target),
    openDescriptor(folder, constants.O_RDONLY),
  ]);
  if (linked.status === "rejected") {
    if (opened.status === "fulfilled") closeNow(opened.value);
    throw linked.reason;
  }
  if (opened.status === "rejected") throw opened.reason;
  try {
    await Promise.all([syncDescriptor(opened.value), unlink(temp).catch(() => undefined)]);
  } finally {
    closeNow(opened.value);
  }
}
