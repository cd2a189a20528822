/**
 * `cloudflare`: Cloudflare Workers KV, through a Worker's namespace binding (`binding` mode) or
 * the REST API (`http` mode). Both modes share everything but the transport (`transport.ts`).
 *
 * KV is eventually consistent (up to 60 s between locations) and has no compare-and-set, so the
 * backend declares `consistency: "eventual"` and `compareAndSet: "best-effort"`: `ifVersion` is
 * checked against the head it reads, and a writer elsewhere can slip in between. Within one
 * process writes to a credential are serialised and never go backwards (see `recent.ts`).
 * Layout, metadata and limits: `layout.ts`; the user guide: docs/backends/cloudflare-kv.md.
 */
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  BackendWrite,
  RecordMetadata,
} from "../../core/backend.js";
import {
  deletedRecord,
  maxVersionsOption,
  missingRecord,
  versionConflict,
} from "../../core/backend-support.js";
import { ConfigurationError, ValidationError } from "../../core/errors.js";
import { type BackendKey, MIN_KEY_LENGTH } from "../../core/key-encoding.js";
import { type RetryOptions, withRetry } from "../../core/retry.js";
import { Secret } from "../../core/secret.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { bindingTransport, type KVNamespaceLike } from "./binding.js";
import { kvError, NAME } from "./errors.js";
import { DEFAULT_API_BASE_URL, httpTransport } from "./http.js";
import {
  DEFAULT_PREFIX,
  decodeCursor,
  encodeCursor,
  headIndex,
  keyLayout,
  parseIndex,
  parseStored,
  type StoredHead,
  type StoredVersion,
  storedVersion,
} from "./layout.js";
import { type HeadState, RecentWrites } from "./recent.js";
import {
  type KvTransport,
  MAX_BULK_DELETE_KEYS,
  MAX_BULK_GET_KEYS,
  MAX_LIST_LIMIT,
  MIN_LIST_LIMIT,
} from "./transport.js";

export type { KVNamespaceLike } from "./binding.js";
export { DEFAULT_API_BASE_URL } from "./http.js";
export { DEFAULT_PREFIX, MAX_KEY_BYTES, MAX_METADATA_BYTES } from "./layout.js";
export type { KvTransport } from "./transport.js";

/** KV refuses an expiry less than 60 s ahead. */
export const MIN_EXPIRATION_SECONDS = 60;
/** Added to that minimum, so a clock a little behind Cloudflare's is not refused. */
const CLOCK_SLACK_SECONDS = 10;
/** The default `expiryGraceSeconds`: 30 days. */
export const DEFAULT_EXPIRY_GRACE_SECONDS = 30 * 24 * 60 * 60;
/** The default `retry`: KV allows one write a second per key, so retries span about that. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  timeoutMs: 10_000,
};

/** Options both modes share. */
export interface CloudflareKvCommonOptions {
  /**
   * Prefix of every key credkit writes, so credentials can share a namespace with other data.
   * Each of its UTF-8 bytes shortens the longest key id (`capabilities.maxKeyLength`).
   * @default "credkit/" (in `http` mode, `CREDKIT_CLOUDFLARE_KV_PREFIX` first)
   */
  prefix?: string | undefined;
  /**
   * Retries of throttled (429) and failed (5xx, network, timeout) calls, with backoff.
   * @default { attempts: 5, baseDelayMs: 200, maxDelayMs: 2000, timeoutMs: 10000 }
   */
  retry?: RetryOptions | undefined;
  /**
   * How long after its `expiresAt` a credential stays in KV before KV deletes it, in seconds;
   * `false` never sets a KV expiry. Until KV deletes it, reads report it as expired. KV refuses
   * expiries under 60 s ahead, so the expiry is never sooner than 70 s after the write.
   * @default 2592000 (30 days)
   */
  expiryGraceSeconds?: number | false | undefined;
  /**
   * Versions kept per credential; writing version N deletes version N - maxVersions.
   * @default 100
   */
  maxVersions?: number | undefined;
}

/** `binding` mode: a Workers KV namespace binding (e.g. `env.CREDENTIALS` in a Worker). */
export interface CloudflareKvBindingOptions extends CloudflareKvCommonOptions {
  /** Optional label; the mode follows from whether `binding` is given. */
  mode?: "binding" | undefined;
  /** The namespace: any object with the `KVNamespace` methods credkit uses. */
  binding: KVNamespaceLike;
  /**
   * Read several keys with one array `get` (Workers bindings support it); `false` for KV-like
   * objects that read one key at a time.
   * @default true
   */
  bulkGet?: boolean | undefined;
}

/** `http` mode: the Cloudflare REST API, for services outside Workers. */
export interface CloudflareKvHttpOptions extends CloudflareKvCommonOptions {
  /** Optional label; the mode follows from whether `binding` is given. */
  mode?: "http" | undefined;
  /** Absent in `http` mode. */
  binding?: undefined;
  /**
   * The account that owns the namespace.
   * @default process.env.CLOUDFLARE_ACCOUNT_ID
   */
  accountId?: string | undefined;
  /**
   * The namespace id (not its title).
   * @default process.env.CLOUDFLARE_KV_NAMESPACE_ID
   */
  namespaceId?: string | undefined;
  /**
   * An API token with Workers KV Storage read and write on the account.
   * @default process.env.CLOUDFLARE_API_TOKEN
   */
  apiToken?: string | Secret | undefined;
  /**
   * The API's base URL, e.g. a proxy or a test server.
   * @default process.env.CLOUDFLARE_API_BASE_URL ?? "https://api.cloudflare.com/client/v4"
   */
  baseUrl?: string | undefined;
  /**
   * The `fetch` to use.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch | undefined;
  /**
   * Where unset options are read from.
   * @default process.env
   */
  env?: Environment | undefined;
}

/** Options of `cloudflareKvBackend`: a binding, or REST settings. */
export type CloudflareKvBackendOptions = CloudflareKvBindingOptions | CloudflareKvHttpOptions;

/** The variables `http` mode reads. */
const VARIABLES = [
  { name: "CLOUDFLARE_ACCOUNT_ID", description: "Account id that owns the KV namespace.", required: true },
  { name: "CLOUDFLARE_KV_NAMESPACE_ID", description: "Id of the KV namespace.", required: true },
  {
    name: "CLOUDFLARE_API_TOKEN",
    description: "API token with Workers KV Storage read and write on the account.",
    required: true,
  },
  {
    name: "CLOUDFLARE_API_BASE_URL",
    description: `REST API base URL (default ${DEFAULT_API_BASE_URL}).`,
    required: false,
  },
  {
    name: "CREDKIT_CLOUDFLARE_KV_PREFIX",
    description: `Prefix of every key credkit writes (default ${DEFAULT_PREFIX}).`,
    required: false,
  },
] as const;

function missingOf(values: Readonly<Record<string, unknown>>): string[] {
  return VARIABLES.filter((variable) => variable.required && !values[variable.name]).map(
    (variable) => variable.name,
  );
}

function processEnv(): Environment {
  const holder = globalThis as { process?: { env?: Environment } };
  return holder.process?.env ?? {};
}

function httpTransportFrom(options: CloudflareKvHttpOptions, env: Environment): KvTransport {
  const token = options.apiToken ?? env.CLOUDFLARE_API_TOKEN;
  const settings = {
    CLOUDFLARE_ACCOUNT_ID: options.accountId ?? env.CLOUDFLARE_ACCOUNT_ID,
    CLOUDFLARE_KV_NAMESPACE_ID: options.namespaceId ?? env.CLOUDFLARE_KV_NAMESPACE_ID,
    CLOUDFLARE_API_TOKEN: token instanceof Secret ? token.reveal() : token,
  };
  const missing = missingOf(settings);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `Cloudflare KV (http mode) needs ${missing.join(", ")} (options accountId, namespaceId, apiToken), or pass a binding.`,
      { missing },
      { source: NAME },
    );
  }
  return httpTransport({
    accountId: settings.CLOUDFLARE_ACCOUNT_ID as string,
    namespaceId: settings.CLOUDFLARE_KV_NAMESPACE_ID as string,
    apiToken: settings.CLOUDFLARE_API_TOKEN as string,
    baseUrl: options.baseUrl ?? env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function stateOf(head: StoredHead): HeadState {
  return { version: head.version, rev: head.rev, deleted: head.deleted, purged: false };
}

function recordOf(stored: StoredVersion): BackendRecord {
  return { value: stored.value, metadata: stored.metadata, version: stored.version };
}

/**
 * Where a credential stands: the head as read, or, when this process wrote something newer
 * within KV's propagation window, the remembered state (`head` then is undefined).
 */
interface Current {
  readonly state: HeadState | undefined;
  readonly head: StoredHead | undefined;
}

/** Creates a Workers KV backend over a binding or the REST API. */
export function cloudflareKvBackend(options: CloudflareKvBackendOptions): Backend {
  const env = options.binding ? {} : ((options as CloudflareKvHttpOptions).env ?? processEnv());
  const transport = options.binding
    ? bindingTransport(options.binding, options.bulkGet ?? true)
    : httpTransportFrom(options, env);
  const layout = keyLayout(options.prefix ?? env.CREDKIT_CLOUDFLARE_KV_PREFIX ?? DEFAULT_PREFIX);
  if (layout.maxKeyLength < MIN_KEY_LENGTH) {
    throw new ConfigurationError(
      `The KV key prefix leaves ${layout.maxKeyLength} bytes for keys; credkit needs ${MIN_KEY_LENGTH}. Use a shorter prefix.`,
      { missing: ["prefix"] },
      { source: NAME },
    );
  }
  const maxVersions = maxVersionsOption(options.maxVersions, NAME) ?? 100;
  const grace = options.expiryGraceSeconds ?? DEFAULT_EXPIRY_GRACE_SECONDS;
  if (grace !== false && !(Number.isInteger(grace) && grace >= 0)) {
    throw new ConfigurationError(
      "expiryGraceSeconds must be a whole number of seconds (0 or more), or false.",
      {},
      { source: NAME },
    );
  }
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const recent = new RecentWrites();
  const { secrets } = transport;

  /** One KV call with bounded retries; every failure comes out as a typed credkit error. */
  const call = <T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    withRetry(
      ({ signal }) => operation(signal),
      (error) => kvError(error, "complete a KV call", secrets),
      retry,
    );

  const checkKey = (key: BackendKey): string => {
    if (key.id.length > layout.maxKeyLength) {
      throw new ValidationError(
        `The backend key is ${key.id.length} characters; Cloudflare KV allows ${layout.maxKeyLength} with this prefix.`,
        "key",
        { source: NAME },
      );
    }
    return key.id;
  };

  /** The KV expiry for a record: `expiresAt` plus the grace, never under KV's minimum. */
  const expirationOf = (metadata: RecordMetadata): number | undefined => {
    if (grace === false || metadata.expiresAt === undefined) return undefined;
    const expiresAt = Date.parse(metadata.expiresAt);
    if (Number.isNaN(expiresAt)) return undefined;
    const earliest = Math.floor(Date.now() / 1000) + MIN_EXPIRATION_SECONDS + CLOCK_SLACK_SECONDS;
    return Math.max(Math.ceil(expiresAt / 1000) + grace, earliest);
  };

  const parseHead = (text: string | undefined) =>
    text === undefined ? undefined : parseStored(text, "head");

  const resolve = (id: string, head: StoredHead | undefined): Current => {
    const remembered = recent.recall(id);
    if (remembered && (!head || head.rev < remembered.rev)) return { state: remembered, head: undefined };
    return head ? { state: stateOf(head), head } : { state: undefined, head: undefined };
  };

  const current = async (id: string): Promise<Current> =>
    resolve(id, parseHead(await call((signal) => transport.get(layout.head(id), signal))));

  const readVersion = async (id: string, version: number): Promise<StoredVersion | undefined> => {
    const text = await call((signal) => transport.get(layout.version(id, version), signal));
    return text === undefined ? undefined : parseStored(text, "version");
  };

  /** The latest stored version, from the head or (when the head read was stale) its version key. */
  const latestOf = async (id: string, now: Current): Promise<StoredVersion | undefined> =>
    now.head ?? (now.state ? readVersion(id, now.state.version) : undefined);

  const writeHead = async (id: string, head: StoredHead): Promise<void> => {
    await call((signal) =>
      transport.put(
        layout.head(id),
        JSON.stringify(head),
        { metadata: headIndex(head), expiration: expirationOf(head.metadata) },
        signal,
      ),
    );
    recent.remember(id, stateOf(head));
  };

  const isLive = (state: HeadState | undefined): state is HeadState =>
    state !== undefined && !state.purged && !state.deleted;

  /** Values of many keys, in bulk reads of at most 100; a slot is undefined when absent. */
  const bulkRead = async (names: readonly string[]): Promise<Array<string | undefined>> => {
    const values: Array<string | undefined> = [];
    for (const part of chunks(names, MAX_BULK_GET_KEYS)) {
      values.push(...(await call((signal) => transport.getMany(part, signal))));
    }
    return values;
  };

  /** Reads heads (and, for stale ones, version keys) of several ids; one slot per id. */
  const readMany = async (keys: readonly BackendKey[]): Promise<Array<BackendRecord | undefined | Error>> => {
    const ids = keys.map(checkKey);
    const heads = await bulkRead(ids.map((id) => layout.head(id)));
    const results: Array<BackendRecord | undefined | Error> = [];
    const stale: Array<{ slot: number; name: string }> = [];
    ids.forEach((id, slot) => {
      try {
        const now = resolve(id, parseHead(heads[slot]));
        if (!now.state || now.state.purged) results.push(undefined);
        else if (now.state.deleted) results.push(deletedRecord(NAME, keys[slot] as BackendKey));
        else if (now.head) results.push(recordOf(now.head));
        else {
          results.push(undefined);
          stale.push({ slot, name: layout.version(id, now.state.version) });
        }
      } catch (error) {
        results.push(kvError(error, "complete a KV call", secrets));
      }
    });
    const versions = await bulkRead(stale.map(({ name }) => name));
    stale.forEach(({ slot }, index) => {
      const text = versions[index];
      try {
        results[slot] = text === undefined ? undefined : recordOf(parseStored(text, "version"));
      } catch (error) {
        results[slot] = kvError(error, "complete a KV call", secrets);
      }
    });
    return results;
  };

  /** Every version key of a credential: the ones this backend keeps, and any a listing shows. */
  const versionKeys = async (id: string, latest: number): Promise<string[]> => {
    const names = new Set<string>();
    for (let version = Math.max(1, latest - maxVersions + 1); version <= latest; version++) {
      names.add(layout.version(id, version));
    }
    let cursor: string | undefined;
    do {
      const page = await call((signal) =>
        transport.list({ prefix: layout.versions(id), limit: MAX_LIST_LIMIT, cursor }, signal),
      );
      for (const key of page.keys) names.add(key.name);
      cursor = page.cursor;
    } while (cursor);
    return [...names];
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "best-effort",
      softDelete: true,
      batchGet: true,
      consistency: "eventual",
      maxKeyLength: layout.maxKeyLength,
    },

    async get(key, getOptions = {}) {
      const id = checkKey(key);
      const version = getOptions.version;
      let now: Current;
      let pinned: StoredVersion | undefined;
      if (version === undefined) {
        now = await current(id);
      } else {
        // why: the head (is it deleted?) and the pinned version in one round trip.
        const [head, stored] = await call((signal) =>
          transport.getMany([layout.head(id), layout.version(id, version)], signal),
        );
        now = resolve(id, parseHead(head));
        pinned = stored === undefined ? undefined : parseStored(stored, "version");
      }
      if (!now.state || now.state.purged) return undefined;
      if (now.state.deleted) throw deletedRecord(NAME, key);
      if (version === undefined) {
        const latest = await latestOf(id, now);
        return latest ? recordOf(latest) : undefined;
      }
      if (version > now.state.version) return undefined;
      if (now.head && version === now.head.version) return recordOf(now.head);
      return pinned ? recordOf(pinned) : undefined;
    },

    async getMany(keys) {
      return readMany(keys);
    },

    async put(key, write: BackendWrite, putOptions = {}) {
      const id = checkKey(key);
      return recent.exclusive(id, async () => {
        const now = await current(id);
        const actual = isLive(now.state) ? now.state.version : 0;
        if (putOptions.ifVersion !== undefined && putOptions.ifVersion !== actual) {
          throw versionConflict(NAME, key, putOptions.ifVersion, actual);
        }
        // why: numbering goes on after a soft delete, so no version key is ever reused.
        const version = (now.state && !now.state.purged ? now.state.version : 0) + 1;
        const stored = storedVersion(version, write.metadata, write.value);
        const expiration = expirationOf(write.metadata);
        await call((signal) =>
          transport.put(layout.version(id, version), JSON.stringify(stored), { expiration }, signal),
        );
        await writeHead(id, { ...stored, rev: recent.nextRev(id, now.state?.rev ?? 0), deleted: false });
        if (version > maxVersions) {
          // why: retention is housekeeping; the write has succeeded, and purge lists leftovers anyway.
          await call((signal) => transport.delete(layout.version(id, version - maxVersions), signal)).catch(
            () => undefined,
          );
        }
        return { version };
      });
    },

    async delete(key, deleteOptions = {}) {
      const id = checkKey(key);
      await recent.exclusive(id, async () => {
        const now = await current(id);
        if (!now.state || now.state.purged || (now.state.deleted && !deleteOptions.purge)) {
          throw missingRecord(NAME, key);
        }
        if (deleteOptions.purge) {
          // why: versions first, the head last, so an interrupted purge can simply be retried.
          const names = await versionKeys(id, now.state.version);
          for (const part of chunks(names, MAX_BULK_DELETE_KEYS)) {
            await call((signal) => transport.deleteMany(part, signal));
          }
          await call((signal) => transport.delete(layout.head(id), signal));
          recent.remember(id, {
            version: 0,
            rev: recent.nextRev(id, now.state.rev),
            deleted: false,
            purged: true,
          });
          return;
        }
        const latest = await latestOf(id, now);
        if (!latest) throw missingRecord(NAME, key);
        await writeHead(id, { ...latest, rev: recent.nextRev(id, now.state.rev), deleted: true });
      });
    },

    async restore(key) {
      const id = checkKey(key);
      await recent.exclusive(id, async () => {
        const now = await current(id);
        if (!now.state || now.state.purged) throw missingRecord(NAME, key);
        if (!now.state.deleted) return;
        const latest = await latestOf(id, now);
        if (!latest) throw missingRecord(NAME, key);
        await writeHead(id, { ...latest, rev: recent.nextRev(id, now.state.rev), deleted: false });
      });
    },

    async list(listOptions: BackendListOptions = {}) {
      const { kv, skip } = decodeCursor(listOptions.cursor);
      const limit = listOptions.limit && listOptions.limit > 0 ? listOptions.limit : MAX_LIST_LIMIT;
      // why: KV pages hold 10 to 1000 keys; a smaller page is a slice of one, and the cursor says where.
      const kvLimit = Math.min(MAX_LIST_LIMIT, Math.max(MIN_LIST_LIMIT, skip + limit));
      const page = await call((signal) =>
        transport.list(
          { prefix: layout.heads(listOptions.tenantSegment), limit: kvLimit, cursor: kv },
          signal,
        ),
      );
      const served = page.keys.slice(skip, skip + limit);
      const end = skip + served.length;
      const cursor =
        end < page.keys.length
          ? encodeCursor({ ...(kv ? { kv } : {}), skip: end })
          : page.cursor
            ? encodeCursor({ kv: page.cursor, skip: 0 })
            : undefined;

      const headPrefix = layout.heads();
      const entries: Array<BackendListEntry | undefined> = [];
      const unindexed: Array<{ slot: number; id: string }> = [];
      for (const listed of served) {
        const index = parseIndex(listed.metadata);
        if (index?.m) {
          entries.push({ metadata: index.m, version: index.v, deleted: index.d === 1 });
        } else {
          // why: the compact index (metadata over 1024 bytes) or a missing one: read the head.
          unindexed.push({ slot: entries.length, id: listed.name.slice(headPrefix.length) });
          entries.push(undefined);
        }
      }
      const texts = await bulkRead(unindexed.map(({ id }) => layout.head(id)));
      unindexed.forEach(({ slot }, index) => {
        const head = parseHead(texts[index]);
        if (head) entries[slot] = { metadata: head.metadata, version: head.version, deleted: head.deleted };
      });
      const visible = entries.filter(
        (entry): entry is BackendListEntry =>
          entry !== undefined && (listOptions.includeDeleted === true || !entry.deleted),
      );
      return cursor ? { entries: visible, cursor } : { entries: visible };
    },
  };
}

export const definition: BackendDefinition = {
  type: "cloudflare-kv",
  summary: "Cloudflare Workers KV (binding or REST)",
  aliases: ["cloudflare"],
  variables: VARIABLES.map(({ name, description }) => ({ name, description })),
  missingVariables: (env) => missingOf(env),
  fromEnv: async (env) => cloudflareKvBackend({ env }),
};
