/** Durable file-system steps: files written and fsynced before they are published. */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Prefix of a writer's temporary file inside a credential folder. */
export const TEMP_PREFIX = ".tmp-";

/** A fresh temporary file name inside `folder`. */
export function tempPath(folder: string): string {
  return join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

/** Creates `path` (0600; fails if it exists), writes `content` and fsyncs it. */
export async function writeDurably(path: string, content: string): Promise<void> {
  const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, so the names just linked or renamed into it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
