/**
 * The file store's directory and development key file, as an attacker on the same host sees
 * them: both must belong to the process's user and be closed to group and others, or a record
 * (or key) another local user planted would be trusted. Every failure is a `ConfigurationError`
 * naming the path and the fix, found when the store is opened rather than at the first write.
 */
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { access, mkdir, open, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError } from "../../core/errors.js";
import { LocalKeyring, parseKey } from "../../core/keyring.js";
import { NAME } from "./errors.js";

const KEY_FILE = "key";

function codeOf(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "unknown error";
}

function refused(path: string, problem: string, fix: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(
    `The file store cannot use ${path}: ${problem}. ${fix}`,
    { missing: ["CREDKIT_FILE_DIR"] },
    { source: NAME, ...(cause === undefined ? {} : { cause: new Error(codeOf(cause)) }) },
  );
}

/**
 * Refuses a path owned by another user, or open to group and others beyond `allowedMode`
 * (POSIX only: Windows has no owner ids or mode bits to check).
 */
function checkOwner(path: string, stats: Stats, forbiddenBits: number, fix: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (stats.uid !== uid) {
    throw refused(
      path,
      `it is owned by user id ${stats.uid}, not this process's user (${uid}), so another local user could plant records or keys in it`,
      `Use a directory this user created, or \`chown\` it to this user.`,
    );
  }
  if ((stats.mode & forbiddenBits) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, "0");
    throw refused(path, `its mode ${mode} lets group or others in`, fix);
  }
}

/** Creates the store's directory (0700) if absent and checks it is ours, closed and writable. */
export async function prepareStoreDirectory(root: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
  } catch (error) {
    const inTheWay = ["EEXIST", "ENOTDIR"].includes(codeOf(error));
    throw refused(
      root,
      inTheWay
        ? "a file is in the way of the directory"
        : `the directory cannot be created (${codeOf(error)})`,
      "Point CREDKIT_FILE_DIR (or the `directory` option) at a directory this process may create and write.",
      error,
    );
  }
  const stats = await stat(root);
  if (!stats.isDirectory()) {
    throw refused(
      root,
      "it is not a directory",
      "Point CREDKIT_FILE_DIR (or the `directory` option) at a directory.",
    );
  }
  checkOwner(root, stats, 0o022, `Run \`chmod 700 ${root}\`.`);
  try {
    await access(root, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refused(
      root,
      "this process's user cannot write to it",
      `Run \`chmod 700 ${root}\` as its owner.`,
      error,
    );
  }
}

async function readKeyFile(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    throw refused(
      path,
      `the key file cannot be read (${codeOf(error)})`,
      "Remove it, or set CREDENTIAL_ENCRYPTION_KEY.",
      error,
    );
  }
  try {
    checkOwner(path, await handle.stat(), 0o077, `Run \`chmod 600 ${path}\`.`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

let warnedAboutKeyFile = false;

/**
 * Outside production, when no `CREDENTIAL_ENCRYPTION_KEY` is set: the store's key file, created
 * (0600) on first use; warns once that the key sits beside the data.
 */
export async function developmentKeyFile(root: string): Promise<LocalKeyring> {
  await prepareStoreDirectory(root);
  const path = join(root, KEY_FILE);
  let text = await readKeyFile(path);
  if (text === undefined) {
    await writeFile(path, randomBytes(32).toString("base64"), { flag: "wx", mode: 0o600 }).catch((error) => {
      if (codeOf(error) !== "EEXIST")
        throw refused(
          path,
          `the key file cannot be created (${codeOf(error)})`,
          "Set CREDENTIAL_ENCRYPTION_KEY.",
          error,
        );
    });
    text = (await readKeyFile(path)) as string;
  }
  if (!warnedAboutKeyFile) {
    warnedAboutKeyFile = true;
    process.emitWarning(
      `credkit: no CREDENTIAL_ENCRYPTION_KEY set; using the development key file ${path}. Set CREDENTIAL_ENCRYPTION_KEY in production.`,
      { code: "CREDKIT_DEV_KEY" },
    );
  }
  return new LocalKeyring(parseKey(text, path));
}
