/**
 * The KV version 2 requests credkit makes, each one authorised, retried when transient and
 * under the time limit, with the statuses it expects (404) turned into values.
 */
import { withRetry } from "../../core/retry.js";
import type { VaultClient } from "./auth.js";
import type { VaultSettings } from "./config.js";
import type { VaultConnection } from "./connect.js";
import { bodyOf, statusOf, vaultError } from "./errors.js";
import type { CustomMetadata, RecordPaths } from "./records.js";

/** One KV metadata read: what credkit uses of it. */
export interface KeyMetadata {
  readonly current_version: number;
  readonly oldest_version: number;
  readonly custom_metadata: CustomMetadata;
  readonly versions: Readonly<Record<string, VersionState>>;
}

/** The state of one version in a metadata read. */
export interface VersionState {
  readonly deletion_time: string;
  readonly destroyed: boolean;
}

/** A KV v2 data read's `data`. */
export interface VersionData {
  readonly data: unknown;
  readonly metadata: {
    readonly version: number;
    readonly custom_metadata: CustomMetadata;
    readonly deletion_time: string;
    readonly destroyed: boolean;
  };
}

/** A version read: found, or the body of the 404 (a deleted version's carries its metadata). */
export type VersionRead = { found: VersionData } | { missing: { data?: VersionData } | undefined };

/** The settings and the (lazily made) connection every request uses. */
export interface Kv {
  readonly settings: VaultSettings;
  readonly connect: () => Promise<VaultConnection>;
}

/**
 * One Vault operation: authorised (re-login once on 403), retried when transient, each
 * attempt under the time limit. `run` handles the statuses it expects (404, CAS) itself.
 */
export async function call<T>(
  kv: Kv,
  what: string,
  run: (client: VaultClient) => Promise<T>,
  onAttempt?: (attempt: number) => void,
): Promise<T> {
  const { client, tokens } = await kv.connect();
  return withRetry(
    ({ attempt }) => {
      onAttempt?.(attempt);
      return tokens.authorized(() => run(client));
    },
    (error) => vaultError(error, what, tokens.secrets()),
    kv.settings.retry,
  );
}

/** `fallback` for a 404, the error otherwise. */
function on404<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (statusOf(error) === 404) return fallback;
    throw error;
  };
}

/** The key's metadata, or undefined when the key does not exist. */
export function readMetadata(kv: Kv, paths: RecordPaths, name: string): Promise<KeyMetadata | undefined> {
  return call(kv, `read the metadata of credential "${name}" at ${paths.metadata}`, (client) =>
    client
      .read(paths.metadata, kv.settings.request)
      .then((response: { data: KeyMetadata }) => response.data, on404(undefined)),
  );
}

/** Reads a version: the response data, or the 404 body (deleted versions carry metadata). */
export function readVersion(
  kv: Kv,
  paths: RecordPaths,
  name: string,
  version?: number,
): Promise<VersionRead> {
  return call<VersionRead>(kv, `read credential "${name}" at ${paths.data}`, async (client) => {
    try {
      const path = version === undefined ? paths.data : `${paths.data}?version=${version}`;
      const response = (await client.read(path, kv.settings.request)) as { data: VersionData };
      return { found: response.data };
    } catch (error) {
      if (statusOf(error) === 404) return { missing: bodyOf(error) as { data?: VersionData } | undefined };
      throw error;
    }
  });
}

/** Patches the key's `custom_metadata`; false when the key does not exist. */
export function patchCustomMetadata(
  kv: Kv,
  paths: RecordPaths,
  name: string,
  patch: Record<string, string | null>,
): Promise<boolean> {
  return call(kv, `record the metadata of credential "${name}" at ${paths.metadata}`, (client) =>
    client
      .update(paths.metadata, { custom_metadata: patch }, kv.settings.request)
      .then(() => true, on404(false)),
  );
}

/** The names under a metadata folder (folders end with "/"); none when it does not exist. */
export function listKeys(kv: Kv, path: string): Promise<string[]> {
  return call(kv, `list ${path}`, (client) =>
    client
      .list(path, kv.settings.request)
      .then((response: { data?: { keys?: string[] } }) => response.data?.keys ?? [], on404([] as string[])),
  );
}
