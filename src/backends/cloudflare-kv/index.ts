/**
 * `cloudflare`: Cloudflare Workers KV, through a Worker's namespace binding (`binding` mode) or
 * the REST API (`http` mode). Both modes share everything but the transport (`transport.ts`).
 *
 * KV is eventually consistent (up to 60 s between locations) and has no compare-and-set, so the
 * backend declares `compareAndSet: "best-effort"`: `ifVersion` is
 * checked against the head it reads, and a writer elsewhere can slip in between. Within one
 * process writes to a credential are serialised and never go backwards (see `recent.ts`).
 * Layout, metadata and limits: `layout.ts`; the user guide: docs/backends/cloudflare-kv.md.
 */
import type { Backend } from "../../core/backend.js";
import type { RetryOptions } from "../../core/retry.js";
import type { Secret } from "../../core/secret.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import type { KVNamespaceLike } from "./binding.js";
import { kvSettings, missingOf, VARIABLES } from "./config.js";
import { NAME } from "./errors.js";
import { listRecords } from "./list.js";
import { getRecord, readMany } from "./read.js";
import { deleteRecord, restoreRecord } from "./remove.js";
import { kvStore } from "./store.js";
import { putRecord } from "./write.js";

export type { KVNamespaceLike } from "./binding.js";
export { DEFAULT_EXPIRY_GRACE_SECONDS, DEFAULT_RETRY } from "./config.js";
export { DEFAULT_API_BASE_URL } from "./http.js";
export { DEFAULT_PREFIX, MAX_KEY_BYTES, MAX_METADATA_BYTES } from "./layout.js";
export { MIN_EXPIRATION_SECONDS } from "./store.js";
export type { KvTransport } from "./transport.js";

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
  endpoint?: string | undefined;
  /**
   * A `fetch` to send requests through (a proxy, tracing), each aborted by a signal when its
   * attempt runs out of time.
   * @default undici's `request` over its global dispatcher (so `setGlobalDispatcher` applies),
   * cheaper per call than `fetch`
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

/** Creates a Workers KV backend over a binding or the REST API. */
export function cloudflareKvBackend(options: CloudflareKvBackendOptions): Backend {
  const store = kvStore(kvSettings(options));
  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "best-effort",
      softDelete: true,
      maxKeyLength: store.layout.maxKeyLength,
    },
    get: (key, getOptions = {}) => getRecord(store, key, getOptions.version),
    getMany: (keys) => readMany(store, keys),
    put: (key, write, putOptions = {}) => putRecord(store, key, write, putOptions),
    delete: (key, deleteOptions = {}) => deleteRecord(store, key, deleteOptions),
    restore: (key) => restoreRecord(store, key),
    list: (listOptions) => listRecords(store, listOptions),
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
