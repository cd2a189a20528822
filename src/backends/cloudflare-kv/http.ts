/**
 * `http` mode: the Cloudflare REST API (`/client/v4/accounts/{account}/storage/kv/namespaces/{ns}`)
 * over HTTP (undici's `request`, or a caller's `fetch`), for services outside Workers. No SDK: the
 * API is a handful of JSON and raw-body endpoints, described in docs/backends/cloudflare-kv.md.
 */
import type { AttemptContext } from "../../core/retry.js";
import type { HttpExchange, HttpReply, HttpSender } from "../../kit/http-exchange.js";
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
  /** How each request is sent. */
  readonly send: HttpSender;
  /** Milliseconds a request may wait for its response (headers, then each body chunk). */
  readonly timeoutMs: number;
}

/** A request of the transport, before its URL, token and time limit are added. */
type KvRequest = Pick<HttpExchange, "method" | "body"> & { readonly headers?: Record<string, string> };

interface Envelope<T> {
  success?: boolean | undefined;
  errors?: Array<{ code?: number; message?: string }> | undefined;
  result?: T | undefined;
  result_info?: { cursor?: string; count?: number } | undefined;
}

function envelopeOf<T>(reply: HttpReply): Envelope<T> | undefined {
  try {
    const parsed = JSON.parse(reply.text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Envelope<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** The failure a non-successful response stands for (status, first error code and message). */
function failureOf(reply: HttpReply, envelope: Envelope<unknown> | undefined, action: string): KvFailure {
  const first = envelope?.errors?.[0];
  const detail = first?.message ? `: ${first.message}` : "";
  return new KvFailure(
    `Cloudflare KV ${action} failed with HTTP ${reply.status}${detail}`,
    reply.status,
    typeof first?.code === "number" ? first.code : undefined,
  );
}

/** A transport over the REST API. */
export function httpTransport(options: HttpTransportOptions): KvTransport {
  return new HttpTransport(options);
}

const valuePath = (key: string) => `/values/${encodeURIComponent(key)}`;

/**
 * A write of `value` with `metadata`: the REST API takes metadata only as a multipart part beside
 * the value. The platform's encoder gives the form's bytes and content type, which any sender carries.
 */
async function multipartPut(value: string, metadata: unknown): Promise<KvRequest> {
  const form = new FormData();
  form.set("value", value);
  form.set("metadata", JSON.stringify(metadata));
  const encoded = new Response(form);
  const contentType = encoded.headers.get("content-type") as string;
  return {
    method: "PUT",
    headers: { "content-type": contentType },
    body: new Uint8Array(await encoded.arrayBuffer()),
  };
}

const succeeded = (reply: HttpReply) => reply.status >= 200 && reply.status < 300;

class HttpTransport implements KvTransport {
  readonly mode = "http";
  readonly #secrets: readonly string[];
  readonly #base: string;
  readonly #authorization: string;
  readonly #send: HttpSender;
  readonly #timeoutMs: number;

  constructor(options: HttpTransportOptions) {
    this.#base = `${options.endpoint.replace(/\/+$/, "")}/accounts/${encodeURIComponent(
      options.accountId,
    )}/storage/kv/namespaces/${encodeURIComponent(options.namespaceId)}`;
    this.#authorization = `Bearer ${options.apiToken}`;
    this.#send = options.send;
    this.#timeoutMs = options.timeoutMs;
    this.#secrets = Object.freeze([options.apiToken]);
  }

  secrets(): readonly string[] {
    return this.#secrets;
  }

  async get(key: string, attempt: AttemptContext): Promise<string | undefined> {
    const reply = await this.#request(
      valuePath(key),
      { method: "GET", headers: { accept: "application/octet-stream" } },
      attempt,
    );
    if (succeeded(reply)) return reply.text;
    const envelope = envelopeOf(reply);
    // why: only KV's own "key not found" is absence; a 404 from a wrong URL or namespace is a failure.
    if (reply.status === 404 && envelope?.errors?.some((error) => error.code === KEY_NOT_FOUND)) {
      return undefined;
    }
    throw failureOf(reply, envelope, "read");
  }

  async getMany(keys: readonly string[], attempt: AttemptContext): Promise<Array<string | undefined>> {
    const envelope = await this.#call<{ values?: Record<string, unknown> }>(
      "/bulk/get",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ keys, type: "text", withMetadata: false }),
      },
      attempt,
      "bulk read",
    );
    const values = envelope.result?.values ?? {};
    return keys.map((key) => {
      const value = values[key];
      return typeof value === "string" ? value : undefined;
    });
  }

  async put(key: string, value: string, putOptions: KvPutOptions, attempt: AttemptContext): Promise<void> {
    const query = putOptions.expiration !== undefined ? `?expiration=${putOptions.expiration}` : "";
    const init: KvRequest =
      putOptions.metadata !== undefined
        ? await multipartPut(value, putOptions.metadata)
        : { method: "PUT", headers: { "content-type": "text/plain;charset=UTF-8" }, body: value };
    await this.#call(`${valuePath(key)}${query}`, init, attempt, "write");
  }

  async delete(key: string, attempt: AttemptContext): Promise<void> {
    await this.#call(valuePath(key), { method: "DELETE" }, attempt, "delete");
  }

  async deleteMany(keys: readonly string[], attempt: AttemptContext): Promise<void> {
    await this.#call(
      "/bulk/delete",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(keys) },
      attempt,
      "bulk delete",
    );
  }

  async list(
    { prefix, limit, cursor }: { prefix: string; limit: number; cursor?: string | undefined },
    attempt: AttemptContext,
  ): Promise<KvListPage> {
    const query = new URLSearchParams({ prefix, limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    const envelope = await this.#call<KvListedKey[]>(`/keys?${query}`, { method: "GET" }, attempt, "list");
    const next = envelope.result_info?.cursor;
    const keys = envelope.result ?? [];
    return next ? { keys, cursor: next } : { keys };
  }

  #request(path: string, init: KvRequest, attempt: AttemptContext): Promise<HttpReply> {
    const headers = { authorization: this.#authorization, ...init.headers };
    const url = `${this.#base}${path}`;
    return this.#send({ ...init, url, headers, timeoutMs: this.#timeoutMs }, attempt);
  }

  /** Sends a request answered by an envelope and returns it, or throws its failure. */
  async #call<T>(
    path: string,
    init: KvRequest,
    attempt: AttemptContext,
    action: string,
  ): Promise<Envelope<T>> {
    const reply = await this.#request(path, init, attempt);
    const envelope = envelopeOf<T>(reply);
    if (!succeeded(reply) || envelope?.success === false || envelope === undefined) {
      throw failureOf(reply, envelope, action);
    }
    return envelope;
  }
}
