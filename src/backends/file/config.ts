/** The file store's settings: its directory (option, else `CREDKIT_FILE_DIR`) and version cap. */
import { join, resolve } from "node:path";
import { maxVersionsOption } from "../../core/backend-support.js";
import { setting } from "../../core/environment.js";
import { ConfigurationError } from "../../core/errors.js";
import type { BackendVariable, Environment } from "../../kit/definition.js";
import { NAME } from "./errors.js";

const DEFAULT_DIRECTORY = ".credkit";
const DEFAULT_MAX_VERSIONS = 100;

export const VARIABLES: readonly BackendVariable[] = [
  { name: "CREDKIT_FILE_DIR", description: "Directory of the store (default ./.credkit)." },
];

/** The resolved paths and limits of one file store. */
export interface FileStoreSettings {
  /** The store's directory (absolute). */
  root: string;
  /** `<root>/records`: one folder per tenant, one per credential inside it. */
  records: string;
  /** `<root>/trash`: purged credential folders are moved here, then removed. */
  trash: string;
  /** Versions kept per credential. */
  maxVersions: number;
}

/** The store's directory: the option, else CREDKIT_FILE_DIR (empty is unset), else ./.credkit. */
export function directoryOf(directory: string | undefined, env: Environment): string {
  if (directory !== undefined && directory.trim() === "") {
    throw new ConfigurationError("The file store's `directory` option is empty; omit it for ./.credkit.", {
      missing: ["directory"],
    });
  }
  return resolve(directory ?? setting(env, "CREDKIT_FILE_DIR") ?? DEFAULT_DIRECTORY);
}

/** Validates the options and resolves the store's paths (`env` supplies `CREDKIT_FILE_DIR`). */
export function fileStoreSettings(
  options: { directory?: string | undefined; maxVersions?: number | undefined },
  env: Environment,
): FileStoreSettings {
  const root = directoryOf(options.directory, env);
  return {
    root,
    records: join(root, "records"),
    trash: join(root, "trash"),
    maxVersions: maxVersionsOption(options.maxVersions, NAME) ?? DEFAULT_MAX_VERSIONS,
  };
}
