/**
 * `vault`: HashiCorp Vault's KV version 2 engine, through `node-vault`.
 *
 * Each credential is one KV secret at `<mount>/data/<prefix>/<tenant segment>/<name segment>`,
 * whose versions are credkit's versions. `ifVersion` is Vault's check-and-set (`options.cas`);
 * delete is KV's soft delete, restore is `undelete`, purge is `destroy` plus a metadata delete.
 * The secret body holds only the opaque payload; non-secret metadata lives in the key's
 * `custom_metadata` (see `records.ts`). Tokens are looked up, renewed and re-obtained by
 * `auth.ts`; transient failures are retried with backoff, each attempt under a timeout.
 */
import type NodeVault from "node-vault";
import type { Backend, BackendListEntry, BackendListOptions, BackendRecord } from "../../core/backend.js";
import {
  deletedRecord,
  maxVersionsOption,
  missingRecord,
  versionConflict,
} from "../../core/backend-support.js";
import { ConflictError, DeletedError, IntegrityError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { contentionBackoff, type RetryOptions, resolveRetryOptions, withRetry } from "../../core/retry.js";
import type { BackendDefinition } from "../../kit/definition.js";
import {
  type TokenLifecycle,
  type TokenLifecycleOptions,
  tokenLifecycle,
  type VaultAuth,
  type VaultClient,
} from "./auth.js";
import { missingVariables, optionsFromEnv, VARIABLES } from "./config.js";
import { bodyOf, isCasMismatch, NAME, statusOf, vaultError } from "./errors.js";
import {
  type CustomMetadata,
  checkPath,
  entryOf,
  listPath,
  newRef,
  parseBody,
  prunePatch,
  type RecordPaths,
  readEntry,
  recordPaths,
  refsFor,
} from "./records.js";

export type { VaultAuth, VaultClient, VaultTokenEvent } from "./auth.js";
export { optionsFromEnv as vaultOptionsFromEnv } from "./config.js";

/** TLS settings for an `https://` Vault address. */
export interface VaultTlsOptions {
  /** CA bundle (PEM) that signed Vault's certificate, when it is not a public CA. */
  ca?: string | Buffer | undefined;
  /** Client certificate (PEM), for Vault listeners that require one or for TLS cert auth. */
  cert?: string | Buffer | undefined;
  /** Private key (PEM) of `cert`. */
  key?: string | Buffer | undefined;
  /** Passphrase of `key`. */
  passphrase?: string | undefined;
  /**
   * Skip verifying Vault's certificate. Only for development; never in production.
   * @default false
   */
  insecureSkipVerify?: boolean | undefined;
}

/** Options of `vaultBackend`. */
export interface VaultBackendOptions extends TokenLifecycleOptions {
  /**
   * Vault's address.
   * @default "http://127.0.0.1:8200"
   */
  endpoint?: string | undefined;
  /** How to authenticate. Required unless `client` is given (its token is then used as is). */
  auth?: VaultAuth | undefined;
  /** Enterprise namespace, sent as `X-Vault-Namespace`. */
  namespace?: string | undefined;
  /**
   * Mount path of the KV version 2 engine.
   * @default "secret"
   */
  mount?: string | undefined;
  /**
   * Folder under the mount that holds credkit's records. May be empty.
   * @default "credkit"
   */
  prefix?: string | undefined;
  /**
   * `max_versions` set on the keys credkit creates: a positive whole number; unset uses the
   * mount's setting (Vault's default: 10).
   * @default the mount's setting
   */
  maxVersions?: number | undefined;
  /** TLS settings for an `https://` endpoint. */
  tls?: VaultTlsOptions | undefined;
  /** Retries of transient failures (429, 5xx, connection errors) and the time limit of each attempt. */
  retry?: RetryOptions | undefined;
  /**
   * A ready node-vault client instead of `endpoint`, `namespace` and `tls`. credkit switches
   * it to `noCustomHTTPVerbs` (lists as `GET ?list=true`) and manages its `token` when `auth`
   * is given.
   */
  client?: VaultClient | undefined;
  /** The `node-vault` module (or a loader), for bundlers; imported lazily otherwise. */
  lib?: LibOption<typeof NodeVault> | undefined;
}

/** One KV metadata read: what credkit uses of it. */
interface KeyMetadata {
  readonly current_version: number;
  readonly oldest_version: number;
  readonly custom_metadata: CustomMetadata;
  readonly versions: Readonly<Record<string, VersionState>>;
}

interface VersionState {
  readonly deletion_time: string;
  readonly destroyed: boolean;
}

/** Attempts of an unconditional write racing other writers before giving up with a conflict. */
const MAX_WRITE_ATTEMPTS = 60;
/** Metadata reads in flight at once while listing. */
const LIST_CONCURRENCY = 16;

/** Destroyed, or deleted with a deletion time that has passed (a future one is only scheduled). */
function goneState(version: VersionState | undefined): "deleted" | "destroyed" | undefined {
  if (!version) return undefined;
  if (version.destroyed) return "destroyed";
  if (version.deletion_time && Date.parse(version.deletion_time) <= Date.now()) return "deleted";
  return undefined;
}

function deletedError(key: BackendKey, state: "deleted" | "destroyed"): DeletedError {
  return state === "deleted"
    ? deletedRecord(NAME, key)
    : new DeletedError(
        `Credential "${key.name}": its latest version is destroyed; store it again.`,
        "destroyed",
        {
          source: NAME,
        },
      );
}

/** Creates a Vault KV v2 backend. No request is made until the first call. */
export function vaultBackend(options: VaultBackendOptions = {}): Backend {
  const mount = checkPath(options.mount ?? "secret", "mount (VAULT_KV_MOUNT)", false);
  const prefix = checkPath(options.prefix ?? "credkit", "prefix (VAULT_KV_PREFIX)", true);
  const retry = resolveRetryOptions(options.retry);
  /** Per-call request options: axios's own timeout cleans up the socket of a hung request. */
  const request = { timeout: retry.timeoutMs };
  const maxVersions = maxVersionsOption(options.maxVersions, NAME) ?? 0;

  let connection: Promise<{ client: VaultClient; tokens: TokenLifecycle }> | undefined;
  const connect = () => {
    connection ??= (async () => {
      let client = options.client;
      if (!client) {
        const create = await importOptional(
          "node-vault",
          "the vault backend",
          async () => (await import("node-vault")).default,
          options.lib,
        );
        const tls = options.tls ?? {};
        const requestOptions = {
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
          ...(tls.key !== undefined ? { key: tls.key } : {}),
          ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
          // why: explicit either way, so node-vault never applies VAULT_SKIP_VERIFY from the environment.
          strictSSL: tls.insecureSkipVerify !== true,
        };
        const config: NodeVault.VaultOptions = {
          endpoint: options.endpoint ?? "http://127.0.0.1:8200",
          ...(options.namespace ? { namespace: options.namespace } : {}),
          noCustomHTTPVerbs: true,
          // why: node-vault's debug output prints request bodies (secret ids, payloads).
          debug: () => undefined,
          requestOptions,
        };
        client = create(config) as VaultClient;
        // why: node-vault reads VAULT_TOKEN, VAULT_NAMESPACE and VAULT_PREFIX from process.env;
        // credkit's options decide, so nothing leaks in from the environment.
        client.token = undefined as unknown as string;
        client.pathPrefix = "";
        if (!options.namespace) client.namespace = undefined;
      }
      // why: Node's HTTP stack cannot send or parse the custom LIST verb; Vault accepts GET ?list=true.
      client.noCustomHTTPVerbs = true;
      const auth: VaultAuth = options.auth ?? { method: "token", token: client.token };
      return { client, tokens: tokenLifecycle(client, auth, options) };
    })();
    return connection;
  };

  /**
   * One Vault operation: authorised (re-login once on 403), retried when transient, each
   * attempt under the time limit. `run` handles the statuses it expects (404, CAS) itself.
   */
  const call = async <T>(
    what: string,
    run: (client: VaultClient) => Promise<T>,
    onAttempt?: (attempt: number) => void,
  ): Promise<T> => {
    const { client, tokens } = await connect();
    return withRetry(
      ({ attempt }) => {
        onAttempt?.(attempt);
        return tokens.authorized(() => run(client));
      },
      (error) => vaultError(error, what, tokens.secrets()),
      retry,
    );
  };

  const pathsOf = (key: BackendKey) => recordPaths(mount, prefix, key.tenantSegment, key.nameSegment);

  const readMetadata = (paths: RecordPaths, name: string): Promise<KeyMetadata | undefined> =>
    call(`read the metadata of credential "${name}" at ${paths.metadata}`, (client) =>
      client.read(paths.metadata, request).then(
        (response: { data: KeyMetadata }) => response.data,
        (error: unknown) => {
          if (statusOf(error) === 404) return undefined;
          throw error;
        },
      ),
    );

  /** Reads a version: the response data, or the 404 body (deleted versions carry metadata). */
  const readVersion = (paths: RecordPaths, name: string, version?: number) =>
    call<VersionRead>(`read credential "${name}" at ${paths.data}`, async (client) => {
      try {
        const path = version === undefined ? paths.data : `${paths.data}?version=${version}`;
        const response = (await client.read(path, request)) as { data: VersionData };
        return { found: response.data };
      } catch (error) {
        if (statusOf(error) === 404) return { missing: bodyOf(error) as { data?: VersionData } | undefined };
        throw error;
      }
    });

  const decode = (key: BackendKey, data: VersionData): BackendRecord => {
    const body = parseBody(data.data);
    if (!body) {
      throw new IntegrityError(`The Vault secret of credential "${key.name}" was not written by credkit.`, {
        source: NAME,
      });
    }
    const metadata = readEntry(data.metadata.custom_metadata, body.ref);
    if (!metadata) {
      throw new IntegrityError(
        `The custom_metadata entry of credential "${key.name}" version ${data.metadata.version} is missing.`,
        { source: NAME },
      );
    }
    return { value: body.payload, metadata, version: data.metadata.version };
  };

  const get = async (key: BackendKey, version?: number): Promise<BackendRecord | undefined> => {
    const paths = pathsOf(key);
    if (version !== undefined) {
      // why: a pinned read of a soft-deleted credential is a read of a deleted credential.
      const metadata = await readMetadata(paths, key.name);
      if (!metadata || metadata.current_version === 0) return undefined;
      const state = goneState(metadata.versions[String(metadata.current_version)]);
      if (state) throw deletedError(key, state);
      if (!metadata.versions[String(version)]) return undefined;
    }
    const result = await readVersion(paths, key.name, version);
    if ("missing" in result) {
      const versionMetadata = result.missing?.data?.metadata;
      // why: Vault answers 404 with the version's metadata for a deleted or destroyed version,
      // and 404 with {"errors":[]} for one that never existed.
      if (versionMetadata?.destroyed) throw deletedError(key, "destroyed");
      if (versionMetadata?.deletion_time) throw deletedError(key, "deleted");
      return undefined;
    }
    return decode(key, result.found);
  };

  /** After an ambiguous write (a retried attempt lost its answer): did our version land? */
  const landed = async (paths: RecordPaths, name: string, version: number, ref: string): Promise<boolean> => {
    try {
      const result = await readVersion(paths, name, version);
      return "found" in result && parseBody(result.found.data)?.ref === ref;
    } catch {
      return false;
    }
  };

  const patchCustomMetadata = (paths: RecordPaths, name: string, patch: Record<string, string | null>) =>
    call(`record the metadata of credential "${name}" at ${paths.metadata}`, (client) =>
      client.update(paths.metadata, { custom_metadata: patch }, request).then(
        () => true,
        (error: unknown) => {
          if (statusOf(error) === 404) return false;
          throw error;
        },
      ),
    );

  const listKeys = (path: string): Promise<string[]> =>
    call(`list ${path}`, (client) =>
      client.list(path, request).then(
        (response: { data?: { keys?: string[] } }) => response.data?.keys ?? [],
        (error: unknown) => {
          if (statusOf(error) === 404) return [];
          throw error;
        },
      ),
    );

  const listEntry = async (
    tenantSegment: string,
    nameSegment: string,
  ): Promise<BackendListEntry | undefined> => {
    const paths = recordPaths(mount, prefix, tenantSegment, nameSegment);
    const metadata = await readMetadata(paths, nameSegment);
    const current = metadata?.current_version ?? 0;
    if (!metadata || current === 0) return undefined;
    const deleted = goneState(metadata.versions[String(current)]) !== undefined;
    const refs = refsFor(metadata.custom_metadata, current);
    let ref = refs[0];
    if (refs.length > 1 && !deleted) {
      // why: a writer died between its two steps; the version's own body says which entry is its.
      const result = await readVersion(paths, nameSegment, current);
      if ("found" in result) ref = parseBody(result.found.data)?.ref ?? ref;
    }
    const entry = ref === undefined ? undefined : readEntry(metadata.custom_metadata, ref);
    // why: a secret under the prefix that credkit did not write is not a credential record.
    return entry ? { metadata: entry, version: current, deleted } : undefined;
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      batchGet: false,
      consistency: "strong",
      // why: Vault has no hard path limit; 512 keeps URLs far below proxies' limits.
      maxKeyLength: 512,
    },

    get: (key, options = {}) => get(key, options.version),

    async put(key, write, options = {}) {
      const paths = pathsOf(key);
      const { ifVersion } = options;
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const metadata = await readMetadata(paths, key.name);
        const current = metadata?.current_version ?? 0;
        const live = current > 0 && !goneState(metadata?.versions[String(current)]);
        // why: a soft-deleted credential counts as absent, and writing over it revives it.
        const effective = live ? current : 0;
        if (ifVersion !== undefined && ifVersion !== effective) {
          throw versionConflict(NAME, key, ifVersion, effective);
        }
        if (!metadata) {
          // why: PATCH needs the key to exist; a metadata write without custom_metadata creates
          // it without touching another writer's entries.
          await call(`create credential "${key.name}" at ${paths.metadata}`, (client) =>
            client.write(paths.metadata, { max_versions: maxVersions }, request),
          );
        }
        const ref = newRef(current + 1);
        const entry = entryOf(ref, write.metadata);
        const prune = prunePatch(
          metadata?.custom_metadata,
          metadata?.oldest_version ?? 0,
          current,
          Object.keys(entry).length,
        );
        // why: the entry is written before the version, so a reader always finds it.
        if (!(await patchCustomMetadata(paths, key.name, { ...prune, ...entry }))) continue;
        let retried = false;
        const outcome = await call<{ version: number } | { conflict: true }>(
          `write credential "${key.name}" at ${paths.data}`,
          async (client) => {
            try {
              const response = (await client.write(
                paths.data,
                { data: { payload: write.value, ref }, options: { cas: current } },
                request,
              )) as { data: { version: number } };
              return { version: response.data.version };
            } catch (error) {
              if (isCasMismatch(error)) return { conflict: true as const };
              throw error;
            }
          },
          (number) => {
            if (number > 0) retried = true;
          },
        );
        if ("version" in outcome) return { version: outcome.version };
        if (retried && (await landed(paths, key.name, current + 1, ref))) return { version: current + 1 };
        // why: the entry of a write that lost is garbage; removing it is best effort.
        await patchCustomMetadata(
          paths,
          key.name,
          Object.fromEntries(Object.keys(entry).map((name) => [name, null])),
        ).catch(() => undefined);
        if (ifVersion !== undefined) throw versionConflict(NAME, key, ifVersion);
        await contentionBackoff(attempt, 5, 200);
      }
      throw new ConflictError(
        `Credential "${key.name}" is being written by too many writers at once; try again.`,
        undefined,
        { source: NAME },
      );
    },

    async delete(key, options = {}) {
      const paths = pathsOf(key);
      const metadata = await readMetadata(paths, key.name);
      const current = metadata?.current_version ?? 0;
      if (!metadata || current === 0) throw missingRecord(NAME, key);
      if (options.purge) {
        const versions = Object.entries(metadata.versions)
          .filter(([, state]) => !state.destroyed)
          .map(([version]) => Number(version));
        if (versions.length > 0) {
          await call(`destroy credential "${key.name}" at ${paths.destroy}`, (client) =>
            client.write(paths.destroy, { versions }, request),
          );
        }
        await call(`purge credential "${key.name}" at ${paths.metadata}`, (client) =>
          client.delete(paths.metadata, request),
        );
        return;
      }
      if (goneState(metadata.versions[String(current)])) throw missingRecord(NAME, key);
      await call(`delete credential "${key.name}" at ${paths.data}`, (client) =>
        client.delete(paths.data, request),
      );
    },

    async restore(key) {
      const paths = pathsOf(key);
      const metadata = await readMetadata(paths, key.name);
      const current = metadata?.current_version ?? 0;
      if (!metadata || current === 0) throw missingRecord(NAME, key);
      const state = goneState(metadata.versions[String(current)]);
      if (state === "destroyed") throw deletedError(key, state);
      if (state === "deleted") {
        await call(`restore credential "${key.name}" at ${paths.undelete}`, (client) =>
          client.write(paths.undelete, { versions: [current] }, request),
        );
      }
    },

    async list(options: BackendListOptions = {}) {
      const tenants =
        options.tenantSegment !== undefined
          ? [options.tenantSegment]
          : (await listKeys(listPath(mount, prefix)))
              .filter((name) => name.endsWith("/"))
              .map((name) => name.slice(0, -1));
      const records: Array<[string, string]> = [];
      for (const tenant of tenants) {
        for (const name of await listKeys(listPath(mount, prefix, tenant))) {
          if (!name.endsWith("/")) records.push([tenant, name]);
        }
      }
      const position = (record: [string, string]) => `${record[0]}/${record[1]}`;
      records.sort((a, b) => (position(a) < position(b) ? -1 : 1));
      let index = options.cursor
        ? records.findIndex((record) => position(record) > (options.cursor as string))
        : 0;
      if (index < 0) index = records.length;
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const entries: BackendListEntry[] = [];
      let last: string | undefined;
      while (index < records.length && entries.length < limit) {
        const batch = records.slice(index, index + Math.min(LIST_CONCURRENCY, limit - entries.length));
        const found = await Promise.all(batch.map(([tenant, name]) => listEntry(tenant, name)));
        for (const [offset, entry] of found.entries()) {
          last = position(batch[offset] as [string, string]);
          if (entry && (!entry.deleted || options.includeDeleted)) entries.push(entry);
        }
        index += batch.length;
      }
      return index < records.length && last !== undefined ? { entries, cursor: last } : { entries };
    },

    async close() {
      if (!connection) return;
      const { tokens } = await connection.catch(() => ({ tokens: undefined }));
      tokens?.close();
    },
  };
}

/** A version read: found, or the body of the 404 (a deleted version's carries its metadata). */
type VersionRead = { found: VersionData } | { missing: { data?: VersionData } | undefined };

/** A KV v2 data read's `data`. */
interface VersionData {
  readonly data: unknown;
  readonly metadata: {
    readonly version: number;
    readonly custom_metadata: CustomMetadata;
    readonly deletion_time: string;
    readonly destroyed: boolean;
  };
}

export const definition: BackendDefinition = {
  type: "vault",
  summary: "HashiCorp Vault KV v2",
  packages: ["node-vault"],
  variables: VARIABLES,
  missingVariables,
  fromEnv: async (env) => vaultBackend(await optionsFromEnv(env)),
};
