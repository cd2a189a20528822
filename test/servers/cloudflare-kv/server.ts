/**
 * A loopback Cloudflare Workers KV REST API (`/client/v4/accounts/{account}/storage/kv/namespaces/{ns}`)
 * for tests: the Cloudflare envelope on every JSON answer, raw bytes for `GET /values`, metadata
 * as a multipart part, percent-encoded keys, opaque list cursors, bulk get and bulk delete, the
 * real limits (512-byte keys, 25 MiB values, 1024-byte metadata, expiry at least 60 s ahead,
 * 10..1000 keys a page, 100 keys a bulk get) and error codes (10009 key not found, 10013
 * namespace not found, 10000 authentication, 6003/6111 bad Authorization header, 7003 no route).
 *
 * Fault injection: `failNext` (any status and code, e.g. 429 or 5xx, for the next N matching
 * requests), `latencyMs`, `writeIntervalMs` (KV's one write a second per key, answered 429),
 * `freeze` (reads of a key keep answering its value of that moment, as a stale edge cache does)
 * and `advance` (moves the server's clock, for expiry).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const LIMITS = {
  maxKeyBytes: 512,
  maxValueBytes: 25 * 1024 * 1024,
  maxMetadataBytes: 1024,
  minExpirationTtl: 60,
  minListLimit: 10,
  maxListLimit: 1000,
  maxBulkGetKeys: 100,
  maxBulkDeleteKeys: 10_000,
} as const;

export const ERROR_CODES = {
  authentication: 10000,
  keyNotFound: 10009,
  namespaceNotFound: 10013,
  tooManyRequests: 10022,
  payloadTooLarge: 10024,
  invalidLimit: 10028,
  invalidRequestHeaders: 6003,
  invalidAuthorizationHeader: 6111,
  noRoute: 7003,
  badRequest: 10001,
} as const;

export interface StoredEntry {
  value: Buffer;
  metadata?: unknown;
  /** Unix seconds. */
  expiration?: number;
}

export interface LoggedRequest {
  readonly method: string;
  /** Path after the namespace, e.g. `/values/<encoded key>` or `/bulk/get`. */
  readonly path: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  status: number;
}

export interface Fault {
  status: number;
  code?: number;
  message?: string;
  /** How many matching requests fail. @default 1 */
  count?: number;
  /** Only requests whose method and path (`PUT /values/...`) match. */
  match?: RegExp;
}

export interface CloudflareKvServerOptions {
  accountId: string;
  namespaceId: string;
  apiToken: string;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain?: Array<{ code: number; message: string }>,
  ) {
    super(message);
  }
}

function envelope(result: unknown, extra: Record<string, unknown> = {}) {
  return { success: true, errors: [], messages: [], result, ...extra };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of request) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export class CloudflareKvServer {
  readonly entries = new Map<string, StoredEntry>();
  readonly requests: LoggedRequest[] = [];
  /** Delay before every answer, in milliseconds. */
  latencyMs = 0;
  /** Minimum time between two writes of one key; a faster write gets 429 (KV allows one a second). */
  writeIntervalMs = 0;
  readonly #faults: Fault[] = [];
  readonly #frozen = new Map<string, StoredEntry | undefined>();
  readonly #lastWrite = new Map<string, number>();
  #offsetSeconds = 0;
  #server: Server | undefined;
  #base = "";

  constructor(readonly options: CloudflareKvServerOptions) {}

  /** `http://127.0.0.1:<port>/client/v4`: the `baseUrl` for clients. */
  get baseUrl(): string {
    return this.#base;
  }

  /** The server's clock, in Unix seconds. */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.#offsetSeconds;
  }

  /** Moves the clock forward, so expirations pass. */
  advance(seconds: number): void {
    this.#offsetSeconds += seconds;
  }

  /** The next matching requests fail with this status and code. */
  failNext(fault: Fault): void {
    this.#faults.push({ count: 1, ...fault });
  }

  /** Drops every pending fault. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Reads of `key` keep answering its current value (or absence) until `unfreeze`. */
  freeze(key: string): void {
    this.#frozen.set(key, this.#live(key));
  }

  unfreeze(): void {
    this.#frozen.clear();
  }

  /** Live (unexpired) keys, sorted. */
  keys(): string[] {
    return [...this.entries.keys()].filter((key) => this.#live(key)).sort();
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        sendJson(response, 500, {
          success: false,
          errors: [{ code: ERROR_CODES.badRequest, message: String(error) }],
          messages: [],
          result: null,
        });
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#base = `http://127.0.0.1:${port}/client/v4`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #live(key: string): StoredEntry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiration !== undefined && entry.expiration <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** What a read of `key` sees: a frozen snapshot, or the live entry. */
  #read(key: string): StoredEntry | undefined {
    return this.#frozen.has(key) ? this.#frozen.get(key) : this.#live(key);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const prefix = "/client/v4/accounts/";
    const rawPath = url.pathname;
    const match = /^\/client\/v4\/accounts\/([^/]+)\/storage\/kv\/namespaces\/([^/]+)(\/.*)$/.exec(rawPath);
    const logged: LoggedRequest = {
      method: request.method ?? "GET",
      path: match?.[3] ?? rawPath,
      contentType: request.headers["content-type"],
      authorization: request.headers.authorization,
      status: 0,
    };
    this.requests.push(logged);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const send = (
      status: number,
      body: unknown,
      raw?: { bytes: Buffer; headers: Record<string, string> },
    ) => {
      logged.status = status;
      if (raw) {
        response.writeHead(status, { ...raw.headers, "content-length": raw.bytes.length });
        response.end(raw.bytes);
      } else {
        sendJson(response, status, body);
      }
    };
    try {
      this.#authenticate(request.headers.authorization);
      if (!match || !rawPath.startsWith(prefix))
        throw new HttpFailure(404, ERROR_CODES.noRoute, "No route for the URI");
      const [, account, namespace, path] = match as unknown as [string, string, string, string];
      if (decodeURIComponent(account) !== this.options.accountId) {
        throw new HttpFailure(403, ERROR_CODES.authentication, "Authentication error");
      }
      this.#injectFault(`${logged.method} ${path}`);
      if (decodeURIComponent(namespace) !== this.options.namespaceId) {
        throw new HttpFailure(404, ERROR_CODES.namespaceNotFound, "namespace not found");
      }
      await this.#route(request, url, path, send);
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      send(error.status, {
        success: false,
        errors: [
          { code: error.code, message: error.message, ...(error.chain ? { error_chain: error.chain } : {}) },
        ],
        messages: [],
        result: null,
      });
    }
  }

  #authenticate(header: string | undefined): void {
    const match = header ? /^Bearer (\S+)$/.exec(header) : null;
    if (!match) {
      throw new HttpFailure(400, ERROR_CODES.invalidRequestHeaders, "Invalid request headers", [
        { code: ERROR_CODES.invalidAuthorizationHeader, message: "Invalid format for Authorization header" },
      ]);
    }
    if (match[1] !== this.options.apiToken) {
      throw new HttpFailure(403, ERROR_CODES.authentication, "Authentication error");
    }
  }

  #injectFault(request: string): void {
    const index = this.#faults.findIndex((fault) => !fault.match || fault.match.test(request));
    const fault = this.#faults[index];
    if (!fault) return;
    fault.count = (fault.count ?? 1) - 1;
    if (fault.count <= 0) this.#faults.splice(index, 1);
    throw new HttpFailure(fault.status, fault.code ?? 10001, fault.message ?? `injected ${fault.status}`);
  }

  async #route(
    request: IncomingMessage,
    url: URL,
    path: string,
    send: (status: number, body: unknown, raw?: { bytes: Buffer; headers: Record<string, string> }) => void,
  ): Promise<void> {
    const method = request.method ?? "GET";
    const valueMatch = /^\/(values|metadata)\/(.+)$/.exec(path);
    if (valueMatch) {
      const [, kind, encoded] = valueMatch as unknown as [string, string, string];
      const key = this.#checkKey(decodeURIComponent(encoded));
      if (kind === "metadata" && method === "GET") {
        const entry = this.#read(key);
        if (!entry) throw new HttpFailure(404, ERROR_CODES.keyNotFound, "get: 'key not found'");
        return send(200, envelope(entry.metadata ?? null));
      }
      if (kind === "values" && method === "GET") {
        const entry = this.#read(key);
        if (!entry) throw new HttpFailure(404, ERROR_CODES.keyNotFound, "get: 'key not found'");
        const headers: Record<string, string> = { "content-type": "application/octet-stream" };
        if (entry.expiration !== undefined) headers.expiration = String(entry.expiration);
        return send(200, undefined, { bytes: entry.value, headers });
      }
      if (kind === "values" && method === "PUT") {
        await this.#put(request, url, key);
        return send(200, envelope({}));
      }
      if (kind === "values" && method === "DELETE") {
        this.entries.delete(key);
        return send(200, envelope({}));
      }
    }
    if (path === "/keys" && method === "GET") return send(200, this.#list(url));
    if (path === "/bulk/get" && method === "POST") {
      return send(200, envelope({ values: this.#bulkGet(await readBody(request)) }));
    }
    if (path === "/bulk/delete" && method === "POST") {
      const keys = this.#jsonBody(await readBody(request));
      if (!Array.isArray(keys) || keys.some((key) => typeof key !== "string")) {
        throw new HttpFailure(400, ERROR_CODES.badRequest, "body must be an array of key names");
      }
      if (keys.length > LIMITS.maxBulkDeleteKeys) {
        throw new HttpFailure(400, ERROR_CODES.badRequest, `at most ${LIMITS.maxBulkDeleteKeys} keys`);
      }
      for (const key of keys as string[]) this.entries.delete(this.#checkKey(key));
      return send(200, envelope({ successful_key_count: keys.length, unsuccessful_keys: [] }));
    }
    throw new HttpFailure(404, ERROR_CODES.noRoute, "No route for the URI");
  }

  #checkKey(key: string): string {
    if (key === "") throw new HttpFailure(400, ERROR_CODES.badRequest, "Key names must not be empty");
    const length = Buffer.byteLength(key);
    if (length > LIMITS.maxKeyBytes) {
      throw new HttpFailure(
        414,
        ERROR_CODES.badRequest,
        `UTF-8 encoded length of ${length} exceeds key length limit of ${LIMITS.maxKeyBytes}.`,
      );
    }
    return key;
  }

  #jsonBody(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      throw new HttpFailure(400, ERROR_CODES.badRequest, "Could not parse request body");
    }
  }

  async #put(request: IncomingMessage, url: URL, key: string): Promise<void> {
    const now = this.now();
    const body = await readBody(request);
    const contentType = request.headers["content-type"] ?? "";
    let value: Buffer;
    let rawMetadata: string | undefined;
    if (contentType.startsWith("multipart/form-data")) {
      const form = await new Request("http://127.0.0.1/", {
        method: "POST",
        headers: { "content-type": contentType },
        body,
      }).formData();
      const part = form.get("value");
      if (part === null) throw new HttpFailure(400, ERROR_CODES.badRequest, "Missing value field");
      value = typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(await part.arrayBuffer());
      const metadata = form.get("metadata");
      if (metadata !== null) rawMetadata = typeof metadata === "string" ? metadata : await metadata.text();
    } else {
      value = body;
    }
    if (value.length > LIMITS.maxValueBytes) {
      throw new HttpFailure(
        413,
        ERROR_CODES.payloadTooLarge,
        `Value length of ${value.length} exceeds limit of ${LIMITS.maxValueBytes}.`,
      );
    }
    let metadata: unknown;
    if (rawMetadata !== undefined) {
      const length = Buffer.byteLength(rawMetadata);
      if (length > LIMITS.maxMetadataBytes) {
        throw new HttpFailure(
          413,
          ERROR_CODES.payloadTooLarge,
          `Metadata length of ${length} exceeds limit of ${LIMITS.maxMetadataBytes}.`,
        );
      }
      try {
        metadata = JSON.parse(rawMetadata);
      } catch {
        throw new HttpFailure(400, ERROR_CODES.badRequest, "Invalid metadata JSON");
      }
    }
    let expiration: number | undefined;
    const ttl = url.searchParams.get("expiration_ttl");
    const at = url.searchParams.get("expiration");
    if (ttl !== null) {
      const seconds = Number(ttl);
      if (!Number.isInteger(seconds) || seconds < LIMITS.minExpirationTtl) {
        throw new HttpFailure(
          400,
          ERROR_CODES.badRequest,
          `Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${LIMITS.minExpirationTtl}.`,
        );
      }
      expiration = now + seconds;
    } else if (at !== null) {
      const seconds = Number(at);
      if (!Number.isInteger(seconds) || seconds < now + LIMITS.minExpirationTtl) {
        throw new HttpFailure(
          400,
          ERROR_CODES.badRequest,
          `Invalid expiration of ${at}. Expiration times must be at least ${LIMITS.minExpirationTtl} seconds in the future.`,
        );
      }
      expiration = seconds;
    }
    if (this.writeIntervalMs > 0) {
      const last = this.#lastWrite.get(key);
      const time = Date.now();
      if (last !== undefined && time - last < this.writeIntervalMs) {
        throw new HttpFailure(429, ERROR_CODES.tooManyRequests, "KV PUT failed: 429 Too Many Requests");
      }
      this.#lastWrite.set(key, time);
    }
    this.entries.set(key, {
      value,
      ...(metadata !== undefined ? { metadata } : {}),
      ...(expiration !== undefined ? { expiration } : {}),
    });
  }

  #list(url: URL) {
    const prefix = url.searchParams.get("prefix") ?? "";
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? LIMITS.maxListLimit : Number(limitText);
    if (!Number.isInteger(limit) || limit < LIMITS.minListLimit || limit > LIMITS.maxListLimit) {
      throw new HttpFailure(400, ERROR_CODES.invalidLimit, "invalid limit argument");
    }
    const cursor = url.searchParams.get("cursor");
    const after = cursor ? Buffer.from(cursor, "base64url").toString("utf8") : undefined;
    const matching = this.keys().filter(
      (key) => key.startsWith(prefix) && (after === undefined || key > after),
    );
    const page = matching.slice(0, limit);
    const more = matching.length > page.length;
    const last = page.at(-1);
    return envelope(
      page.map((name) => {
        const entry = this.entries.get(name) as StoredEntry;
        return {
          name,
          ...(entry.expiration !== undefined ? { expiration: entry.expiration } : {}),
          ...(entry.metadata !== undefined ? { metadata: entry.metadata } : {}),
        };
      }),
      {
        result_info: {
          count: page.length,
          cursor: more && last ? Buffer.from(last, "utf8").toString("base64url") : "",
        },
      },
    );
  }

  #bulkGet(body: Buffer): Record<string, unknown> {
    const request = this.#jsonBody(body) as { keys?: unknown; type?: unknown; withMetadata?: unknown };
    const keys = request.keys;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== "string")) {
      throw new HttpFailure(400, ERROR_CODES.badRequest, "keys must be an array of key names");
    }
    if (keys.length < 1)
      throw new HttpFailure(400, ERROR_CODES.badRequest, "You must request a minimum of 1 key");
    if (keys.length > LIMITS.maxBulkGetKeys) {
      throw new HttpFailure(
        400,
        ERROR_CODES.badRequest,
        `You can request a maximum of ${LIMITS.maxBulkGetKeys} keys`,
      );
    }
    const type = request.type ?? "text";
    if (type !== "text" && type !== "json") {
      throw new HttpFailure(
        400,
        ERROR_CODES.badRequest,
        `"${String(type)}" is not a valid type. Use "json" or "text"`,
      );
    }
    const values: Record<string, unknown> = {};
    for (const key of keys as string[]) {
      const entry = this.#read(this.#checkKey(key));
      if (!entry) {
        values[key] = null;
        continue;
      }
      const text = entry.value.toString("utf8");
      let value: unknown = text;
      if (type === "json") {
        try {
          value = JSON.parse(text);
        } catch {
          throw new HttpFailure(
            400,
            ERROR_CODES.badRequest,
            "At least one of the requested keys corresponds to a non-json value",
          );
        }
      }
      values[key] =
        request.withMetadata === true
          ? {
              value,
              metadata: entry.metadata ?? null,
              ...(entry.expiration !== undefined ? { expiration: entry.expiration } : {}),
            }
          : value;
    }
    return values;
  }
}

/** Starts a server on 127.0.0.1, on a random port. */
export function startCloudflareKvServer(options: CloudflareKvServerOptions): Promise<CloudflareKvServer> {
  return new CloudflareKvServer(options).start();
}
