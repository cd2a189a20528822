/**
 * One credential's folder: `v0000000001.json`… (one file per version), the `deleted` marker of a
 * soft delete, and writers' temporary files. A listing and a version read.
 */
import { constants } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { BackendRecord, BackendWrite } from "../../core/backend.js";
import { IntegrityError } from "../../core/errors.js";
import { guardMetadata } from "../../kit/record-guard.js";
import { closeNow, openDescriptor, readAtPosition, readToEnd, statDescriptor } from "./descriptors.js";
import { TEMP_PREFIX } from "./durable.js";
import { fileError, isCode, NAME } from "./errors.js";

const VERSION_FILE = /^v(\d{10})\.json$/;
/** The soft-delete marker's file name. */
export const DELETED_MARKER = "deleted";

/** A credential folder as one listing shows it. */
export interface FolderState {
  /** Version numbers, ascending. */
  versions: number[];
  /** Whether the soft-delete marker is there. */
  deleted: boolean;
  /** Names of temporary files (writers in progress, or killed ones). */
  temps: string[];
}
export const EMPTY_FOLDER: FolderState = { versions: [], deleted: false, temps: [] };

/** The file name of one version. */
export function versionFile(version: number): string {
  return `v${String(version).padStart(10, "0")}.json`;
}

/**
 * What one listing of a credential's folder shows: its versions (ascending), whether it is
 * soft-deleted, and temporary files. One `readdir` serves every check a read or write makes.
 * `undefined` when the folder does not exist.
 */
export async function folderState(folder: string): Promise<FolderState | undefined> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw fileError(error, "read a credential folder");
  }
  const state: FolderState = { versions: [], deleted: false, temps: [] };
  for (const name of names) {
    const match = VERSION_FILE.exec(name);
    if (match) state.versions.push(Number(match[1]));
    else if (name === DELETED_MARKER) state.deleted = true;
    else if (name.startsWith(TEMP_PREFIX)) state.temps.push(name);
  }
  state.versions.sort((x, y) => x - y);
  return state;
}

/** Bytes of a version file's first read (records with very large values need more reads). */
const FIRST_READ_BYTES = 16 * 1024;

/**
 * The whole file open at `file` as text. The first read and the size are asked for side by side:
 * a file that fits the first read is read in one round trip to the thread pool, not two.
 */
async function readText(file: number): Promise<string> {
  const buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);
  const [{ bytesRead }, { size }] = await Promise.all([
    readAtPosition(file, buffer, 0, FIRST_READ_BYTES, 0),
    statDescriptor(file),
  ]);
  if (bytesRead === size && bytesRead < FIRST_READ_BYTES) return buffer.toString("utf8", 0, bytesRead);
  return readToEnd(file, "utf8");
}

/** A version file's text; `undefined` when it is absent. */
async function versionText(folder: string, version: number): Promise<string | undefined> {
  let file: number;
  try {
    file = await openDescriptor(join(folder, versionFile(version)), constants.O_RDONLY);
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw fileError(error, "read a credential version");
  }
  try {
    return await readText(file);
  } catch (error) {
    throw fileError(error, "read a credential version");
  } finally {
    closeNow(file);
  }
}

/**
 * One version's record; `undefined` when its file is absent, an `IntegrityError` when it is not
 * JSON, has no string value or holds malformed metadata.
 */
export async function readVersion(folder: string, version: number): Promise<BackendRecord | undefined> {
  const text = await versionText(folder, version);
  if (text === undefined) return undefined;
  let parsed: Partial<Record<keyof BackendWrite, unknown>> | null;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IntegrityError("A stored version is not valid JSON.", { source: NAME });
  }
  if (typeof parsed?.value !== "string") {
    throw new IntegrityError("A stored version of the file store has no string value.", { source: NAME });
  }
  const metadata = guardMetadata(parsed.metadata, NAME, "A stored version of the file store");
  return { value: parsed.value, metadata, version };
}
