/**
 * The checkpoint of a resumable import: how many input items are done, for which input (a
 * SHA-256 of its bytes). Written atomically (temporary file, then rename) after each batch, so a
 * process killed at any moment leaves either the previous or the new checkpoint.
 */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { ValidationError } from "../../core/errors.js";

/** What a checkpoint file holds. */
interface CheckpointFile {
  readonly version: 1;
  readonly input: string;
  readonly done: number;
}

/** A digest of the input, to tie a checkpoint to it. */
export function inputDigest(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Items already done according to the checkpoint at `path` (0 when there is none). */
export function readCheckpoint(path: string, input: string): number {
  let saved: CheckpointFile;
  try {
    saved = JSON.parse(readFileSync(path, "utf8")) as CheckpointFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw new ValidationError(`The checkpoint ${path} is unreadable; delete it to start over.`, "checkpoint");
  }
  if (saved.input !== input) {
    throw new ValidationError(
      `The checkpoint ${path} belongs to another input; delete it to start over.`,
      "checkpoint",
    );
  }
  return Number.isSafeInteger(saved.done) && saved.done > 0 ? saved.done : 0;
}

/** Records that the first `done` items are finished. */
export function writeCheckpoint(path: string, input: string, done: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ version: 1, input, done } satisfies CheckpointFile), {
    mode: 0o600,
  });
  renameSync(temporary, path);
}

/** Removes the checkpoint once the import finished. */
export function clearCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
