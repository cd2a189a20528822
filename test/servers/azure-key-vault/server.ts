/**
 * A loopback Azure Key Vault (secrets data plane, api-version 2025-07-01 shapes) for tests.
 *
 * It speaks the REST API the way Key Vault does, so the official `@azure/keyvault-secrets`
 * SDK runs unmodified against it:
 * - the challenge handshake: any request without a Bearer token gets 401 with
 *   `WWW-Authenticate: Bearer authorization="…", resource="https://vault.azure.net"`; a token
 *   not in `tokens` gets 401 too, a read-only token 403 on writes;
 * - `api-version` is required and read with `URLSearchParams` (the SDK sends `api%2Dversion`);
 * - names are `[0-9a-zA-Z-]{1,127}` and case-insensitive; versions are random 32-hex ids;
 *   attributes are integer Unix seconds; tags are limited to 15, names 512 and values 256
 *   characters; values to 25 KB;
 * - soft delete (DELETE gives a DeletedSecretBundle with `recoveryId`), the deleted-secret
 *   endpoints, recover, purge (204), and 409 `ObjectIsDeletedButRecoverable` for writes to a
 *   soft-deleted name (`ObjectIsBeingDeleted` while `deleteLagMs` runs);
 * - paging with `maxresults` (1–25) and absolute `nextLink`s carrying `$skiptoken`;
 * - Key Vault's error bodies `{"error":{"code","message","innererror"}}`.
 * Faults: `inject()` queues error responses (429 with `Retry-After`, 503, …) and `latencyMs`
 * delays every response.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a token may do. */
export type Permission = "all" | "read";

export interface KeyVaultServerOptions {
  /** Accepted Bearer tokens and what they may do. */
  tokens: Record<string, Permission>;
  /**
   * Entra tenant id named in the challenge.
   * @default "72f988bf-0000-0000-0000-000000000000"
   */
  tenantId?: string;
}

/** One queued fault. */
export interface Fault {
  status: number;
  /** `Retry-After` header value (seconds), if any. */
  retryAfter?: string;
  /** How many matching requests fail. @default 1 */
  times?: number;
  /** Only requests with this method. */
  method?: string;
  /** Only paths starting with this. */
  pathPrefix?: string;
  /** The error body's `code`, `message` and `innererror.code`, in place of the defaults. */
  code?: string;
  message?: string;
  inner?: string;
}

/** A request as the server saw it (for assertions on the wire). */
export interface LoggedRequest {
  method: string;
  /** The raw request target, as sent. */
  url: string;
  path: string;
  authorization: boolean;
  status: number;
  /** When the request arrived (`Date.now()`). */
  at: number;
}

interface Version {
  id: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  enabled: boolean;
  nbf: number | undefined;
  exp: number | undefined;
  created: number;
  updated: number;
}

interface Secret {
  name: string;
  versions: Version[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number; visibleAt: number };
}

// why: 4.11 sends 2025-07-01, 4.12 sends 2026-04-01; the service accepts every published version.
const API_VERSIONS = new Set(["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"]);
const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;
const MAX_TAGS = 15;
const RECOVERABLE_DAYS = 90;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
  ) {
    super(message);
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function notFound(name: string, version?: string): HttpError {
  return new HttpError(
    404,
    "SecretNotFound",
    `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export class KeyVaultServer {
  readonly #server: Server;
  readonly #options: KeyVaultServerOptions;
  readonly #secrets = new Map<string, Secret>();
  readonly #faults: Fault[] = [];
  /** Every request, in order. */
  readonly requests: LoggedRequest[] = [];
  /** Delay before every response, in milliseconds. */
  latencyMs = 0;
  /** How long a deleted secret stays "being deleted" before /deletedsecrets shows it. */
  deleteLagMs = 0;
  #base = "";

  private constructor(options: KeyVaultServerOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(JSON.stringify({ error: { code: "InternalError", message: String(error) } }));
      });
    });
  }

  /** Starts a server on 127.0.0.1 with a random port. */
  static async start(options: KeyVaultServerOptions): Promise<KeyVaultServer> {
    const server = new KeyVaultServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, "127.0.0.1", resolve));
    const { port } = server.#server.address() as AddressInfo;
    server.#base = `http://127.0.0.1:${port}`;
    return server;
  }

  /** The vault URL to give `SecretClient`. */
  get url(): string {
    return this.#base;
  }

  /** Queues a fault for the next matching requests. */
  inject(fault: Fault): void {
    this.#faults.push({ times: 1, ...fault });
  }

  /** Drops queued faults. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Versions of a live or deleted secret (tests inspect tags and order). */
  versionsOf(name: string): ReadonlyArray<Readonly<Version>> {
    return this.#secrets.get(name.toLowerCase())?.versions ?? [];
  }

  /** Names of every secret, live or deleted. */
  names(): string[] {
    return [...this.#secrets.values()].map((secret) => secret.name);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.#base);
    const method = request.method ?? "GET";
    const authorization = request.headers.authorization ?? "";
    const log: LoggedRequest = {
      method,
      url: request.url ?? "",
      path: url.pathname,
      authorization: authorization !== "",
      status: 0,
      at: Date.now(),
    };
    this.requests.push(log);
    const body = await readBody(request);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      response.writeHead(status, {
        ...(payload === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
        "x-ms-keyvault-service-version": "1.9.0.0",
        "x-ms-request-id": randomBytes(16).toString("hex"),
        ...headers,
      });
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const fail = (error: HttpError, headers: Record<string, string> = {}) =>
      send(
        error.status,
        {
          error: {
            code: error.code,
            message: error.message,
            ...(error.inner ? { innererror: { code: error.inner } } : {}),
          },
        },
        headers,
      );

    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    const tenant = this.#options.tenantId ?? "72f988bf-0000-0000-0000-000000000000";
    const challenge = {
      "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="https://vault.azure.net"`,
    };
    if (!token) {
      return fail(
        new HttpError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
        challenge,
      );
    }
    const permission = this.#options.tokens[token];
    if (!permission) {
      return fail(new HttpError(401, "Unauthorized", "AKV10032: Invalid issuer or token."), challenge);
    }
    const fault = this.#faults.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method === method) &&
        (candidate.pathPrefix === undefined || url.pathname.startsWith(candidate.pathPrefix)),
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.#faults.splice(this.#faults.indexOf(fault), 1);
      const error =
        fault.status === 429
          ? new HttpError(
              429,
              "Throttled",
              "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
            )
          : new HttpError(
              fault.status,
              fault.code ?? "ServiceUnavailable",
              fault.message ?? "The service is temporarily unavailable. Try again later.",
              fault.inner,
            );
      return fail(error, fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
    }
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
      return fail(
        new HttpError(400, "BadParameter", `The specified version (${apiVersion ?? ""}) is not recognized.`),
      );
    }
    if (permission === "read" && method !== "GET") {
      return fail(
        new HttpError(
          403,
          "Forbidden",
          "Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
          "ForbiddenByRbac",
        ),
      );
    }
    try {
      const result = this.#route(method, url, body);
      if (result === undefined) return send(204);
      return send(200, result);
    } catch (error) {
      if (error instanceof HttpError) return fail(error);
      throw error;
    }
  }

  #route(method: string, url: URL, body: string): unknown {
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
    const [collection, name, third, fourth] = parts;
    if (collection === "secrets") {
      if (name === undefined || name === "") {
        if (method === "GET") return this.#list(url, "secrets");
      } else if (parts.length === 2 && method === "PUT") {
        return this.#set(name, body);
      } else if (parts.length === 2 && method === "DELETE") {
        return this.#delete(name);
      } else if (third === "versions" && parts.length === 3 && method === "GET") {
        return this.#list(url, "versions", name);
      } else if (parts.length <= 3 && method === "GET") {
        return this.#get(name, third ?? "");
      } else if (parts.length <= 3 && method === "PATCH") {
        return this.#update(name, third ?? "", body);
      }
    } else if (collection === "deletedsecrets") {
      if ((name === undefined || name === "") && method === "GET") return this.#list(url, "deleted");
      if (name && parts.length === 2 && method === "GET") return this.#deletedBundle(this.#deleted(name));
      if (name && parts.length === 2 && method === "DELETE") {
        this.#deleted(name);
        this.#secrets.delete(name.toLowerCase());
        return undefined;
      }
      if (name && third === "recover" && fourth === undefined && method === "POST") {
        const secret = this.#deleted(name);
        delete secret.deleted;
        return this.#bundle(secret, secret.versions.at(-1) as Version, false);
      }
    }
    throw new HttpError(404, "NotFound", `The requested resource ${url.pathname} was not found.`);
  }

  #checkName(name: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new HttpError(
        400,
        "BadParameter",
        `The request URI contains an invalid name: ${name}. Names must be 1-127 characters of letters, digits and dashes.`,
      );
    }
  }

  /** A live secret or 404. */
  #live(name: string): Secret {
    const secret = this.#secrets.get(name.toLowerCase());
    if (!secret || secret.deleted) throw notFound(name);
    return secret;
  }

  /** A soft-deleted secret (visible once the delete finished) or 404. */
  #deleted(name: string): Secret {
    const secret = this.#secrets.get(name.toLowerCase());
    if (!secret?.deleted || Date.now() < secret.deleted.visibleAt) {
      throw new HttpError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
    }
    return secret;
  }

  #set(name: string, body: string): unknown {
    this.#checkName(name);
    let input: {
      value?: unknown;
      tags?: Record<string, unknown>;
      contentType?: unknown;
      attributes?: { enabled?: boolean; nbf?: number; exp?: number };
    };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      throw new HttpError(400, "BadParameter", "The request body is not valid JSON.");
    }
    if (typeof input.value !== "string")
      throw new HttpError(400, "BadParameter", "Property value is required.");
    if (Buffer.byteLength(input.value, "utf8") > MAX_VALUE_BYTES) {
      throw new HttpError(400, "BadParameter", "Secret value exceeds the maximum size of 25 KB.");
    }
    const tags = this.#checkTags(input.tags);
    const existing = this.#secrets.get(name.toLowerCase());
    if (existing?.deleted) {
      if (Date.now() < existing.deleted.visibleAt) {
        throw new HttpError(
          409,
          "Conflict",
          `Secret ${name} is currently being deleted.`,
          "ObjectIsBeingDeleted",
        );
      }
      throw new HttpError(
        409,
        "Conflict",
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        "ObjectIsDeletedButRecoverable",
      );
    }
    const secret = existing ?? { name, versions: [] };
    const time = now();
    const version: Version = {
      id: randomBytes(16).toString("hex"),
      value: input.value,
      contentType: typeof input.contentType === "string" ? input.contentType : undefined,
      tags,
      enabled: input.attributes?.enabled ?? true,
      nbf: input.attributes?.nbf,
      exp: input.attributes?.exp,
      created: time,
      updated: time,
    };
    secret.versions.push(version);
    this.#secrets.set(name.toLowerCase(), secret);
    return this.#bundle(secret, version, true);
  }

  #checkTags(tags: Record<string, unknown> | undefined): Record<string, string> | undefined {
    if (tags === undefined || tags === null) return undefined;
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS)
      throw new HttpError(400, "BadParameter", "A secret may have at most 15 tags.");
    for (const [key, value] of entries) {
      if (key.length > 512 || typeof value !== "string" || value.length > 256) {
        throw new HttpError(
          400,
          "BadParameter",
          "Tag names are limited to 512 and tag values to 256 characters.",
        );
      }
    }
    return tags as Record<string, string>;
  }

  #version(secret: Secret, name: string, versionId: string): Version {
    const version =
      versionId === ""
        ? secret.versions.at(-1)
        : secret.versions.find((candidate) => candidate.id === versionId);
    if (!version) throw notFound(name, versionId);
    return version;
  }

  #get(name: string, versionId: string): unknown {
    const secret = this.#live(name);
    const version = this.#version(secret, name, versionId);
    if (!version.enabled) {
      throw new HttpError(
        403,
        "Forbidden",
        "Operation get is not allowed on a disabled secret.",
        "SecretDisabled",
      );
    }
    return this.#bundle(secret, version, true);
  }

  #update(name: string, versionId: string, body: string): unknown {
    const secret = this.#live(name);
    const version = this.#version(secret, name, versionId);
    const input = JSON.parse(body || "{}") as {
      tags?: Record<string, unknown>;
      contentType?: string;
      attributes?: { enabled?: boolean; nbf?: number; exp?: number };
    };
    if (input.tags !== undefined) version.tags = this.#checkTags(input.tags);
    if (input.contentType !== undefined) version.contentType = input.contentType;
    if (input.attributes?.enabled !== undefined) version.enabled = input.attributes.enabled;
    if (input.attributes?.nbf !== undefined) version.nbf = input.attributes.nbf;
    if (input.attributes?.exp !== undefined) version.exp = input.attributes.exp;
    version.updated = now();
    return this.#bundle(secret, version, false);
  }

  #delete(name: string): unknown {
    const secret = this.#live(name);
    const time = now();
    secret.deleted = {
      deletedDate: time,
      scheduledPurgeDate: time + RECOVERABLE_DAYS * 86_400,
      visibleAt: Date.now() + this.deleteLagMs,
    };
    return this.#deletedBundle(secret);
  }

  #attributes(version: Version) {
    return {
      enabled: version.enabled,
      ...(version.nbf !== undefined ? { nbf: version.nbf } : {}),
      ...(version.exp !== undefined ? { exp: version.exp } : {}),
      created: version.created,
      updated: version.updated,
      recoverableDays: RECOVERABLE_DAYS,
      recoveryLevel: "Recoverable+Purgeable",
    };
  }

  #bundle(secret: Secret, version: Version, withValue: boolean) {
    return {
      ...(withValue ? { value: version.value } : {}),
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
      id: `${this.#base}/secrets/${secret.name}/${version.id}`,
      attributes: this.#attributes(version),
      ...(version.tags ? { tags: version.tags } : {}),
    };
  }

  #deletedBundle(secret: Secret) {
    const version = secret.versions.at(-1) as Version;
    return {
      recoveryId: `${this.#base}/deletedsecrets/${secret.name}`,
      deletedDate: secret.deleted?.deletedDate,
      scheduledPurgeDate: secret.deleted?.scheduledPurgeDate,
      ...this.#bundle(secret, version, false),
    };
  }

  #item(secret: Secret, version: Version, withVersion: boolean) {
    return {
      id: `${this.#base}/secrets/${secret.name}${withVersion ? `/${version.id}` : ""}`,
      attributes: this.#attributes(version),
      ...(version.tags ? { tags: version.tags } : {}),
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
    };
  }

  #list(url: URL, kind: "secrets" | "versions" | "deleted", name?: string): unknown {
    const maxresults = url.searchParams.get("maxresults");
    const size = maxresults === null ? 25 : Number(maxresults);
    if (!Number.isInteger(size) || size < 1 || size > 25) {
      throw new HttpError(400, "BadParameter", "Invalid value for maxresults; it must be between 1 and 25.");
    }
    let items: unknown[];
    if (kind === "versions") {
      const secret = this.#live(name as string);
      items = secret.versions.map((version) => this.#item(secret, version, true));
    } else {
      const secrets = [...this.#secrets.values()].sort((a, b) =>
        a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1,
      );
      items =
        kind === "secrets"
          ? secrets
              .filter((secret) => !secret.deleted)
              .map((secret) => this.#item(secret, secret.versions.at(-1) as Version, false))
          : secrets
              .filter((secret) => secret.deleted && Date.now() >= secret.deleted.visibleAt)
              .map((secret) => ({
                recoveryId: `${this.#base}/deletedsecrets/${secret.name}`,
                deletedDate: secret.deleted?.deletedDate,
                scheduledPurgeDate: secret.deleted?.scheduledPurgeDate,
                ...this.#item(secret, secret.versions.at(-1) as Version, false),
              }));
    }
    const skipToken = url.searchParams.get("$skiptoken");
    const start = skipToken ? Number(Buffer.from(skipToken, "base64url").toString("utf8")) : 0;
    const page = items.slice(start, start + size);
    const end = start + size;
    const nextLink =
      end < items.length
        ? `${this.#base}${url.pathname}?api-version=${url.searchParams.get("api-version")}&$skiptoken=${Buffer.from(String(end)).toString("base64url")}&maxresults=${size}`
        : null;
    return { value: page, nextLink };
  }
}
