/**
 * `http` mode: the Cloudflare REST API (`/client/v4/accounts/{account}/storage/kv/namespaces/{ns}`)
 * over `fetch`, for services outside Workers. No SDK: the API is a handful of JSON and raw-body
 * endpoints, described in docs/backends/cloudflare-kv.md.
 */
import { KEY_NOT_FOUND } from "./errors.js";
import {
  KvFailure,
  type KvListedKey,
  type KvListPage,
  type KvPutOptions,
  type KvTransport,
} from "./transport.js";

/** The public API's base URL. */
export const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";

/** What the REST transport needs; the backend fills it from options and the environment. */
export interface HttpTransportOptions {
  /** Cloudflare account id. */
  readonly accountId: string;
  /** Workers KV namespace id. */
  readonly namespaceId: string;
  /** API token with Workers KV Storage: Edit; sent as a bearer token, scrubbed from errors. */
  readonly apiToken: string;
  /** API base URL, e.g. the public `DEFAULT_API_BASE_URL` or a loopback server in tests. */
  readonly endpoint: string;
  /** The `fetch` to call. */
  readonly fetch: typeof fetch;
}

interface Envelope<T> {
  success?: boolean | undefined;
  errors?: Array<{ code?: number; message?: string }> | undefined;
  result?: T | undefined;
  result_info?: { cursor?: string; count?: number } | undefined;
}

async function envelopeOf<T>(response: Response): Promise<Envelope<T> | undefined> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Envelope<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** The failure a non-successful response stands for (status, first error code and message). */
function failureOf(response: Response, envelope: Envelope<unknown> | undefined, action: string): KvFailure {
  const first = envelope?.errors?.[0];
  const detail = first?.message ? `: ${first.message}` : "";
  return new KvFailure(
    `Cloudflare KV ${action} failed with HTTP ${response.status}${detail}`,
    response.status,
    typeof first?.code === "number" ? first.code : undefined,
  );
}

/** A transport over the REST API. */
export function httpTransport(options: HttpTransportOptions): KvTransport {
  return new HttpTransport(options);
}

const valuePath = (key: string) => `/values/${encodeURIComponent(key)}`;

class HttpTransport implements KvTransport {
  readonly mode = "http";
  readonly #secrets: readonly string[];
  readonly #base: string;
  readonly #authorization: string;
  readonly #fetch: typeof fetch;

  constructor(options: HttpTransportOptions) {
    this.#base = `${options.endpoint.replace(/\/+$/, "")}/accounts/${encodeURIComponent(
      options.accountId,
    )}/storage/kv/namespaces/${encodeURIComponent(options.namespaceId)}`;
    this.#authorization = `Bearer ${options.apiToken}`;
    this.#fetch = options.fetch;
    this.#secrets = Object.freeze([options.apiToken]);
  }

  secrets(): readonly string[] {
    return this.#secrets;
  }

  async get(key: string, signal: AbortSignal): Promise<string | undefined> {
    const response = await this.#request(
      valuePath(key),
      { method: "GET", headers: { accept: "application/octet-stream" } },
      signal,
    );
    if (response.ok) return await response.text();
    const envelope = await envelopeOf(response);
    // why: only KV's own "key not found" is absence; a 404 from a wrong URL or namespace is a failure.
    if (response.status === 404 && envelope?.errors?.some((error) => error.code === KEY_NOT_FOUND)) {
      return undefined;
    }
    throw failureOf(response, envelope, "read");
  }

  async getMany(keys: readonly string[], signal: AbortSignal): Promise<Array<string | undefined>> {
    const envelope = await this.#call<{ values?: Record<string, unknown> }>(
      "/bulk/get",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ keys, type: "text", withMetadata: false }),
      },
      signal,
      "bulk read",
    );
    const values = envelope.result?.values ?? {};
    return keys.map((key) => {
      const value = values[key];
      return typeof value === "string" ? value : undefined;
    });
  }

  async put(key: string, value: string, putOptions: KvPutOptions, signal: AbortSignal): Promise<void> {
    const query = putOptions.expiration !== undefined ? `?expiration=${putOptions.expiration}` : "";
    let init: RequestInit;
    if (putOptions.metadata !== undefined) {
      // why: the REST API takes metadata only as a multipart part beside the value.
      const form = new FormData();
      form.set("value", value);
      form.set("metadata", JSON.stringify(putOptions.metadata));
      init = { method: "PUT", body: form };
    } else {
      init = { method: "PUT", headers: { "content-type": "text/plain;charset=UTF-8" }, body: value };
    }
    await this.#call(`${valuePath(key)}${query}`, init, signal, "write");
  }

  async delete(key: string, signal: AbortSignal): Promise<void> {
    await this.#call(valuePath(key), { method: "DELETE" }, signal, "delete");
  }

  async deleteMany(keys: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#call(
      "/bulk/delete",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(keys) },
      signal,
      "bulk delete",
    );
  }

  async list(
    { prefix, limit, cursor }: { prefix: string; limit: number; cursor?: string | undefined },
    signal: AbortSignal,
  ): Promise<KvListPage> {
    const query = new URLSearchParams({ prefix, limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    const envelope = await this.#call<KvListedKey[]>(`/keys?${query}`, { method: "GET" }, signal, "list");
    const next = envelope.result_info?.cursor;
    const keys = envelope.result ?? [];
    return next ? { keys, cursor: next } : { keys };
  }

  #request(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    return this.#fetch(`${this.#base}${path}`, {
      ...init,
      signal,
      headers: {
        authorization: this.#authorization,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  }

  /** Sends a request answered by an envelope and returns it, or throws its failure. */
  async #call<T>(path: string, init: RequestInit, signal: AbortSignal, action: string): Promise<Envelope<T>> {
    const response = await this.#request(path, init, signal);
    const envelope = await envelopeOf<T>(response);
    if (!response.ok || envelope?.success === false || envelope === undefined) {
      throw failureOf(response, envelope, action);
    }
    return envelope;
  }
}
