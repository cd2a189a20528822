/**
 * The store's calls on open file descriptors: promise forms of the descriptor-based `node:fs`
 * calls (raw descriptors, no `FileHandle` objects), and `closeNow`.
 */
import { closeSync, fstat, fsync, open, read, readFile, writeFile } from "node:fs";
import { promisify } from "node:util";

/** Opens `path` with `flags` (and `mode` when it creates the file); the descriptor. */
export const openDescriptor = promisify(open);
/** Fsyncs the descriptor: its data and metadata are on disk once the promise resolves. */
export const syncDescriptor = promisify(fsync);
/** Writes the whole text at the descriptor's position. */
export const writeToDescriptor = promisify(writeFile);
/** Reads into a buffer at a position, leaving the descriptor's position where it was. */
export const readAtPosition = promisify(read);
/** The open file's `Stats`. */
export const statDescriptor = promisify(fstat);
/** Reads from the descriptor's position to the end of the file. */
export const readToEnd = promisify(readFile);

/**
 * Closes `descriptor` on the spot. Every descriptor the store closes has nothing left to write
 * (it was only read, or what was written through it is on disk), so closing it never waits on
 * the disk and costs less than a round trip to the thread pool; nor can a failed close undo what
 * was done through it.
 */
export function closeNow(descriptor: number): void {
  try {
    closeSync(descriptor);
  } catch {
    // why: see above; the descriptor is gone either way.
  }
}
