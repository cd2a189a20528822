/**
 * `file`: the embedded durable store for single hosts. A directory (0700) of records, one folder
 * per credential, one file (0600) per version:
 *
 *   <directory>/records/<tenant segment>/<name segment>/v0000000001.json
 *
 * A version is published atomically and without locks: it is written to a temporary file,
 * fsynced, then hard-linked to its final name. `link` fails if the name exists, so two writers
 * can never both publish version N (compare-and-set across processes), and a writer killed at any
 * point leaves either the whole version or none of it. A `deleted` marker file soft-deletes.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendPutOptions,
  BackendRecord,
  BackendWrite,
} from "../../core/backend.js";
import {
  deletedRecord,
  maxVersionsOption,
  missingRecord,
  versionConflict,
} from "../../core/backend-support.js";
import { setting } from "../../core/environment.js";
import { ConfigurationError, IntegrityError, UnavailableError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { pageByKey } from "../../core/list-paging.js";
import { scrubError } from "../../core/redact.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { developmentKeyFile, prepareStoreDirectory } from "./store-directory.js";

/** Options of `fileBackend`. */
export interface FileBackendOptions {
  /**
   * The store's directory, created 0700 if absent.
   * @default process.env.CREDKIT_FILE_DIR ?? "./.credkit"
   */
  directory?: string | undefined;
  /**
   * Versions kept per credential; older ones are removed after each write.
   * @default 100
   */
  maxVersions?: number | undefined;
}

const NAME = "file";
const VERSION_FILE = /^v(\d{10})\.json$/;
const DELETED_MARKER = "deleted";
const TEMP_PREFIX = ".tmp-";
/** Temporary files older than this are leftovers of a killed writer. */
const STALE_TEMP_MS = 60_000;
/** Attempts of an unconditional write racing other writers before giving up. */
const MAX_WRITE_ATTEMPTS = 10_000;
const DEFAULT_DIRECTORY = ".credkit";

/** A credential folder as one listing shows it. */
interface FolderState {
  /** Version numbers, ascending. */
  versions: number[];
  /** Whether the soft-delete marker is there. */
  deleted: boolean;
  /** Names of temporary files (writers in progress, or killed ones). */
  temps: string[];
}
const EMPTY_FOLDER: FolderState = { versions: [], deleted: false, temps: [] };

function versionFile(version: number): string {
  return `v${String(version).padStart(10, "0")}.json`;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** File-system failures become typed errors; the path never holds a secret, the cause is scrubbed. */
function fileError(error: unknown, action: string): Error {
  return new UnavailableError(`File store could not ${action}.`, {
    source: NAME,
    cause: scrubError(error),
  });
}

async function writeDurably(path: string, content: string): Promise<void> {
  const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates a file-store backend. */
export function fileBackend(options: FileBackendOptions = {}): Backend {
  const root = directoryOf(options.directory, process.env);
  const records = join(root, "records");
  const trash = join(root, "trash");
  const maxVersions = maxVersionsOption(options.maxVersions, NAME) ?? 100;

  let preparation: Promise<void> | undefined;
  /** The directory checks, once; a failure is retried on the next call (the user may fix it). */
  const ready = (): Promise<void> => {
    preparation ??= prepareStoreDirectory(root).catch((error: unknown) => {
      preparation = undefined;
      throw error;
    });
    return preparation;
  };
  const folderOf = async (key: BackendKey) => {
    await ready();
    return join(records, key.tenantSegment, key.nameSegment);
  };

  /**
   * Writes to one credential from this process go one at a time: other processes are handled by
   * the link race below, and queueing here spares every writer but one a lost race.
   */
  const writeQueues = new Map<string, Promise<unknown>>();
  const serialized = <T>(folder: string, write: () => Promise<T>): Promise<T> => {
    const previous = writeQueues.get(folder) ?? Promise.resolve();
    const next = previous.then(write, write);
    const tail = next.catch(() => undefined);
    writeQueues.set(folder, tail);
    void tail.then(() => {
      if (writeQueues.get(folder) === tail) writeQueues.delete(folder);
    });
    return next;
  };

  /**
   * What one listing of a credential's folder shows: its versions (ascending), whether it is
   * soft-deleted, and temporary files. One `readdir` serves every check a read or write makes.
   */
  const folderState = async (folder: string): Promise<FolderState | undefined> => {
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
  };

  const readVersion = async (folder: string, version: number): Promise<BackendRecord | undefined> => {
    let text: string;
    try {
      text = await readFile(join(folder, versionFile(version)), "utf8");
    } catch (error) {
      if (isCode(error, "ENOENT")) return undefined;
      throw fileError(error, "read a credential version");
    }
    try {
      const parsed = JSON.parse(text) as BackendWrite;
      return { value: parsed.value, metadata: parsed.metadata, version };
    } catch {
      throw new IntegrityError("A stored version is not valid JSON.", { source: NAME });
    }
  };

  /**
   * Removes versions beyond `maxVersions` and temporary files of killed writers (`temps`, as the
   * folder listing before the write showed them; the writer's own file is not among them).
   */
  const tidy = async (folder: string, versions: number[], temps: readonly string[]): Promise<void> => {
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
  };

  /** Publishes the next version of one credential (see the module comment). */
  const publish = async (
    key: BackendKey,
    folder: string,
    write: BackendWrite,
    options: BackendPutOptions,
  ): Promise<{ version: number }> => {
    const temp = join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    const content = JSON.stringify(write);
    try {
      // why: the folder exists for every write but a credential's first; create it only then.
      await writeDurably(temp, content).catch(async (error: unknown) => {
        if (!isCode(error, "ENOENT")) throw error;
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await writeDurably(temp, content);
      });
    } catch (error) {
      throw fileError(error, "write a credential version");
    }
    try {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const { versions, deleted, temps } = (await folderState(folder)) ?? EMPTY_FOLDER;
        const latest = versions.at(-1) ?? 0;
        const current = deleted ? 0 : latest;
        if (options.ifVersion !== undefined && options.ifVersion !== current) {
          throw versionConflict(NAME, key, options.ifVersion, current);
        }
        try {
          await link(temp, join(folder, versionFile(latest + 1)));
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
        await syncDirectory(folder);
        if (deleted) await unlink(join(folder, DELETED_MARKER)).catch(() => undefined);
        await tidy(
          folder,
          [...versions, latest + 1],
          temps.filter((name) => !temp.endsWith(name)),
        );
        return { version: latest + 1 };
      }
      throw new UnavailableError("Too many concurrent writers to one credential.", { source: NAME });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  };

  /** Replaces one existing version's file atomically (temporary file, fsync, rename over it). */
  const rewriteInPlace = async (
    key: BackendKey,
    folder: string,
    version: number,
    write: BackendWrite,
    ifValue: string,
  ): Promise<void> => {
    const existing = await readVersion(folder, version);
    if (!existing) throw missingRecord(NAME, key);
    if (existing.value !== ifValue) throw versionConflict(NAME, key, version);
    const temp = join(folder, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    try {
      await writeDurably(temp, JSON.stringify(write));
      await rename(temp, join(folder, versionFile(version)));
      await syncDirectory(folder);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if (isCode(error, "ENOENT")) throw missingRecord(NAME, key);
      throw fileError(error, "rewrite a credential version");
    }
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      batchGet: false,
      consistency: "strong",
      // why: each segment is a folder name; 200 keeps both well under the 255-byte limit.
      maxKeyLength: 200,
      inPlaceRewrite: true,
    },

    async get(key, options = {}) {
      const folder = await folderOf(key);
      const state = await folderState(folder);
      const latest = state?.versions.at(-1);
      if (state === undefined || latest === undefined) return undefined;
      if (!options.includeDeleted && state.deleted) throw deletedRecord(NAME, key);
      return readVersion(folder, options.version ?? latest);
    },

    open: ready,
    developmentKey: () => developmentKeyFile(root),

    async rewriteVersion(key, version, write, options) {
      const folder = await folderOf(key);
      return serialized(folder, () => rewriteInPlace(key, folder, version, write, options.ifValue));
    },

    async put(key, write, options = {}) {
      const folder = await folderOf(key);
      return serialized(folder, () => publish(key, folder, write, options));
    },

    async delete(key, options = {}) {
      const folder = await folderOf(key);
      if (!(await folderState(folder))?.versions.length) throw missingRecord(NAME, key);
      if (options.purge) {
        try {
          await mkdir(trash, { recursive: true, mode: 0o700 });
          const doomed = join(trash, randomBytes(8).toString("hex"));
          await rename(folder, doomed);
          await rm(doomed, { recursive: true, force: true });
        } catch (error) {
          throw fileError(error, "purge a credential");
        }
        return;
      }
      try {
        await writeFile(join(folder, DELETED_MARKER), new Date().toISOString(), { flag: "wx", mode: 0o600 });
      } catch (error) {
        if (isCode(error, "EEXIST")) throw missingRecord(NAME, key);
        throw fileError(error, "mark a credential deleted");
      }
    },

    async restore(key) {
      const folder = await folderOf(key);
      if (!(await folderState(folder))?.versions.length) throw missingRecord(NAME, key);
      await unlink(join(folder, DELETED_MARKER)).catch((error: unknown) => {
        if (!isCode(error, "ENOENT")) throw fileError(error, "restore a credential");
      });
    },

    async list(options: BackendListOptions = {}) {
      await ready();
      const tenants =
        options.tenantSegment !== undefined
          ? [options.tenantSegment]
          : await readdir(records).catch(() => [] as string[]);
      const folders: Array<[string, string]> = [];
      for (const tenant of tenants.sort()) {
        const names = await readdir(join(records, tenant)).catch(() => [] as string[]);
        for (const name of names.sort()) folders.push([`${tenant}/${name}`, join(records, tenant, name)]);
      }
      // why: the page is cut from the sorted folder list, so only one page's records are read.
      const page = pageByKey(folders, options.cursor, options.limit);
      const entries: BackendListEntry[] = [];
      for (const folder of page.items) {
        const state = await folderState(folder);
        const latest = state?.versions.at(-1);
        if (state === undefined || latest === undefined) continue;
        const { deleted } = state;
        if (deleted && !options.includeDeleted) continue;
        const record = await readVersion(folder, latest);
        if (record) entries.push({ metadata: record.metadata, version: latest, deleted });
      }
      return page.cursor ? { entries, cursor: page.cursor } : { entries };
    },
  };
}

/** The store's directory: the option, else CREDKIT_FILE_DIR (empty is unset), else ./.credkit. */
function directoryOf(directory: string | undefined, env: Environment): string {
  if (directory !== undefined && directory.trim() === "") {
    throw new ConfigurationError("The file store's `directory` option is empty; omit it for ./.credkit.", {
      missing: ["directory"],
    });
  }
  return resolve(directory ?? setting(env, "CREDKIT_FILE_DIR") ?? DEFAULT_DIRECTORY);
}

export const definition: BackendDefinition = {
  type: "file",
  summary: "encrypted directory store for single hosts (the default)",
  variables: [{ name: "CREDKIT_FILE_DIR", description: "Directory of the store (default ./.credkit)." }],
  missingVariables: () => [],
  fromEnv: async (env) => fileBackend({ directory: directoryOf(undefined, env) }),
};
