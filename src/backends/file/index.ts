/**
 * `file`: the embedded durable store for single hosts. A directory (0700) of records, one folder
 * per credential, one file (0600) per version:
 *
 *   <directory>/records/<tenant segment>/<connection segment>/v0000000001.json
 *
 * A version is published atomically and without locks: it is written to a temporary file (opened
 * `O_SYNC`, so on disk once written), then hard-linked to its final name and the folder fsynced.
 * `link` fails if the name exists, so two writers can never both publish version N
 * (compare-and-set across processes), and a writer killed at any point leaves either the whole
 * version or none of it. A `deleted` marker file soft-deletes.
 */
import { join } from "node:path";
import type { Backend } from "../../core/backend.js";
import { deletedRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import type { BackendDefinition } from "../../kit/definition.js";
import { directoryOf, fileStoreSettings, VARIABLES } from "./config.js";
import { NAME } from "./errors.js";
import { folderState, readVersion } from "./folder.js";
import { listRecords } from "./list.js";
import { deleteRecord, restoreRecord } from "./remove.js";
import { developmentKeyFile, prepareStoreDirectory } from "./store-directory.js";
import { publish, rewriteInPlace } from "./write.js";
import { createWriteQueue } from "./write-queue.js";

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

/** Creates a file-store backend. */
export function fileBackend(options: FileBackendOptions = {}): Backend {
  const { root, records, trash, maxVersions } = fileStoreSettings(options, process.env);

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
    return join(records, key.tenantSegment, key.connectionSegment);
  };
  const serialized = createWriteQueue();

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
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
      return serialized(folder, () => publish(key, folder, write, options, maxVersions));
    },

    async delete(key, options = {}) {
      return deleteRecord(key, await folderOf(key), trash, options);
    },

    async restore(key) {
      return restoreRecord(key, await folderOf(key));
    },

    async list(options = {}) {
      await ready();
      return listRecords(records, options);
    },
  };
}

export const definition: BackendDefinition = {
  type: "file",
  summary: "encrypted directory store for single hosts (the default)",
  variables: VARIABLES,
  missingVariables: () => [],
  fromEnv: async (env) => fileBackend({ directory: directoryOf(undefined, env) }),
};
