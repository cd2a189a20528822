/**
 * A loopback HashiCorp Vault that speaks what credkit's Vault backend (through node-vault) uses,
 * as real Vault does: the `/v1/` envelope, 204 with no body when there is nothing to return,
 * 404 `{"errors":[]}` for nothing there, 404 *with* the version metadata for a deleted or
 * destroyed version, 400 CAS errors, `max_versions` clean-up, custom_metadata limits, metadata
 * PATCH (merge-patch), lists as `GET ?list=true`, `X-Vault-Namespace`, token lookup / renew-self,
 * AppRole and Kubernetes logins, and 403 `permission denied` for a missing, unknown or expired
 * token. Faults can be injected: status codes (503, 429…), added latency, dropped connections,
 * and token expiry. With `tls` it serves HTTPS (optionally requiring a client certificate).
 *
 * Sources: wire-protocols.md §2 (hashicorp/vault api-docs, vault-plugin-secrets-kv path_*.go).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

interface Version {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface KeyMeta {
  versions: Map<number, Version>;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  customMetadata: Record<string, string> | null;
  createdTime: string;
  updatedTime: string;
}

interface Token {
  ttlSeconds: number;
  /** ms epoch; undefined never expires. */
  expiresAt: number | undefined;
  maxExpiresAt: number | undefined;
  renewable: boolean;
  issued: number;
  path: string;
}

/** A role of the AppRole or Kubernetes auth method. */
export interface LoginRole {
  /** TTL of the tokens it issues, seconds. */
  ttlSeconds?: number;
  /** Max TTL of those tokens, seconds (renewals stop there). */
  maxTtlSeconds?: number;
  renewable?: boolean;
}

/** A fault applied to the next matching requests. */
export interface Fault {
  /** Only requests whose path (after `/v1/`) matches. */
  match?: RegExp;
  /** How many requests it applies to. @default 1 */
  times?: number;
  /** Answer with this status (503 sealed, 429 rate limit, 500…). */
  status?: number;
  /** Destroy the connection without answering. */
  drop?: boolean;
  /** Wait this long before handling (or before the status/drop). */
  latencyMs?: number;
}

/** What the server saw of a request (never a token value). */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The query string, without `?` (e.g. `list=true`). */
  readonly query: string;
  readonly namespace: string | undefined;
  readonly hadToken: boolean;
}

export interface VaultServerOptions {
  /** A root token that never expires. @default "root-" + random */
  rootToken?: string;
  /** KV v2 mounts. @default ["secret"] */
  mounts?: string[];
  /** Engine default max_versions. @default 10 */
  defaultMaxVersions?: number;
  /**
   * Serve HTTPS with this certificate (PEM) instead of plain HTTP. With `ca` and
   * `requireClientCertificate`, a client must present a certificate that `ca` signed, as a Vault
   * listener with `tls_require_and_verify_client_cert` does.
   */
  tls?: { cert: string; key: string; ca?: string; requireClientCertificate?: boolean };
}

const DEFAULT_ENGINE_MAX_VERSIONS = 10;
const MAX_CUSTOM_METADATA_KEYS = 64;
const MAX_CUSTOM_METADATA_KEY_LENGTH = 128;
const MAX_CUSTOM_METADATA_VALUE_LENGTH = 512;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors[0] ?? `Status ${status}`);
  }
}

const now = () => new Date().toISOString();

/** Go's strutil.Printable, approximately: no control or non-printing characters. */
const printable = (text: string) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u2000-\u200a\u3000]/u.test(text);

export class VaultServer {
  readonly rootToken: string;
  readonly requests: SeenRequest[] = [];
  /** Logins served, by method. */
  readonly logins = { approle: 0, kubernetes: 0 };
  /** Successful renew-self calls. */
  renewals = 0;
  #server: Server;
  #sockets = new Set<Socket>();
  #tokens = new Map<string, Token>();
  #approle = new Map<string, { secretId: string | undefined; role: LoginRole }>();
  #kubernetes = new Map<string, { jwt: string; role: LoginRole }>();
  #approleMount = "approle";
  #kubernetesMount = "kubernetes";
  /** namespace ("" = root) → mount → path → key metadata. */
  #stores = new Map<string, Map<string, Map<string, KeyMeta>>>();
  #mounts: string[];
  #defaultMaxVersions: number;
  #faults: Array<Required<Pick<Fault, "times">> & Fault> = [];
  #scheme: "http" | "https";
  url = "";

  constructor(options: VaultServerOptions = {}) {
    this.rootToken = options.rootToken ?? `root-${randomBytes(8).toString("hex")}`;
    this.#tokens.set(this.rootToken, {
      ttlSeconds: 0,
      expiresAt: undefined,
      maxExpiresAt: undefined,
      renewable: false,
      issued: Date.now(),
      path: "auth/token/root",
    });
    this.#mounts = options.mounts ?? ["secret"];
    this.#defaultMaxVersions = options.defaultMaxVersions ?? DEFAULT_ENGINE_MAX_VERSIONS;
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      void this.#handle(request, response);
    const tls = options.tls;
    this.#server = tls
      ? createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
            requestCert: tls.requireClientCertificate === true,
            rejectUnauthorized: tls.requireClientCertificate === true,
          },
          handler,
        )
      : createServer(handler);
    this.#scheme = tls ? "https" : "http";
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `${this.#scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ test controls

  /** Issues a token (token auth method). */
  issueToken(options: LoginRole = {}): string {
    const token = `hvs.${randomBytes(12).toString("base64url")}`;
    this.#tokens.set(token, this.#newToken(options, "auth/token/create"));
    return token;
  }

  /** Ends a token now, as its TTL running out would. */
  expireToken(token: string): void {
    const entry = this.#tokens.get(token);
    if (entry) entry.expiresAt = Date.now() - 1;
  }

  /** Ends every token but the root token. */
  expireAllTokens(): void {
    for (const [token, entry] of this.#tokens) if (token !== this.rootToken) entry.expiresAt = Date.now() - 1;
  }

  /** Whether a token is currently valid. */
  isValid(token: string | undefined): boolean {
    const entry = token === undefined ? undefined : this.#tokens.get(token);
    return entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > Date.now());
  }

  addAppRole(roleId: string, secretId: string | undefined, role: LoginRole = {}, mount = "approle"): void {
    this.#approleMount = mount;
    this.#approle.set(roleId, { secretId, role });
  }

  addKubernetesRole(name: string, jwt: string, role: LoginRole = {}, mount = "kubernetes"): void {
    this.#kubernetesMount = mount;
    this.#kubernetes.set(name, { jwt, role });
  }

  /** Applies `fault` to the next `times` matching requests. */
  inject(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** The stored secret body of a version (for white-box assertions), or undefined. */
  peek(
    path: string,
    version?: number,
    namespace = "",
  ): { data: unknown; customMetadata: unknown } | undefined {
    const [mount, ...rest] = path.split("/");
    const meta = this.#store(namespace, mount as string)?.get(rest.join("/"));
    if (!meta) return undefined;
    return {
      data: meta.versions.get(version ?? meta.currentVersion)?.data,
      customMetadata: meta.customMetadata,
    };
  }

  /** Paths holding keys in a namespace and mount. */
  keys(namespace = "", mount = "secret"): string[] {
    return [...(this.#store(namespace, mount)?.keys() ?? [])];
  }

  // ------------------------------------------------------------------ plumbing

  #newToken(role: LoginRole, path: string): Token {
    const ttl = role.ttlSeconds ?? 3600;
    const issued = Date.now();
    return {
      ttlSeconds: ttl,
      expiresAt: ttl > 0 ? issued + ttl * 1000 : undefined,
      maxExpiresAt: role.maxTtlSeconds ? issued + role.maxTtlSeconds * 1000 : undefined,
      renewable: role.renewable ?? true,
      issued,
      path,
    };
  }

  #store(namespace: string, mount: string): Map<string, KeyMeta> | undefined {
    if (!this.#mounts.includes(mount)) return undefined;
    let mounts = this.#stores.get(namespace);
    if (!mounts) {
      mounts = new Map();
      this.#stores.set(namespace, mounts);
    }
    let store = mounts.get(mount);
    if (!store) {
      store = new Map();
      mounts.set(mount, store);
    }
    return store;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ""));
    const namespace = headerOf(request, "x-vault-namespace");
    const token = headerOf(request, "x-vault-token");
    this.requests.push({
      method: request.method ?? "",
      path,
      query: url.search.replace(/^\?/, ""),
      namespace,
      hadToken: token !== undefined,
    });
    const fault = this.#faults.find(
      (candidate) => candidate.times > 0 && (!candidate.match || candidate.match.test(path)),
    );
    if (fault) {
      fault.times--;
      if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.drop) {
        request.socket.destroy();
        return;
      }
      if (fault.status) {
        const message =
          fault.status === 429 ? `request path "${path}": rate limit quota exceeded` : "Vault is sealed";
        return send(response, fault.status, { errors: [message] });
      }
    }
    let body: Record<string, unknown> = {};
    try {
      body = await readJson(request);
      const result = this.#route(
        request.method ?? "GET",
        path,
        url.searchParams,
        body,
        namespace ?? "",
        token,
        request,
      );
      if (result === undefined) return send(response, 204);
      const [status, payload] = result;
      send(response, status, payload);
    } catch (error) {
      if (error instanceof HttpError) return send(response, error.status, { errors: error.errors });
      send(response, 500, { errors: [String(error)] });
    }
  }

  #route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    namespace: string,
    token: string | undefined,
    request: IncomingMessage,
  ): [number, unknown] | undefined {
    if (method === "POST" && path === `auth/${this.#approleMount}/login`) return this.#approleLogin(body);
    if (method === "POST" && path === `auth/${this.#kubernetesMount}/login`)
      return this.#kubernetesLogin(body);
    const entry = token === undefined ? undefined : this.#tokens.get(token);
    if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= Date.now())) {
      throw new HttpError(403, ["permission denied"]);
    }
    if (path === "auth/token/lookup-self" && method === "GET")
      return [200, this.#lookup(token as string, entry)];
    if (path === "auth/token/renew-self" && (method === "POST" || method === "PUT")) {
      return [200, this.#renew(token as string, entry, body)];
    }
    const match = /^([^/]+)\/(data|metadata|delete|undelete|destroy)\/(.*)$/.exec(path);
    const store = match ? this.#store(namespace, match[1] as string) : undefined;
    if (!match || !store)
      throw new HttpError(404, [`no handler for route "${path}". route entry not found.`]);
    const [, , kind, rawKey] = match as unknown as [string, string, string, string];
    const isList = query.get("list") !== null && /^(1|t|true)$/i.test(query.get("list") ?? "");
    if (kind === "metadata" && method === "GET" && isList) return this.#list(store, rawKey);
    const key = rawKey.replace(/\/+$/, "");
    if (key === "") throw new HttpError(400, ["missing path"]);
    switch (`${kind} ${method}`) {
      case "data GET":
        return this.#read(store, key, query);
      case "data POST":
      case "data PUT":
        return this.#write(store, key, body);
      case "data DELETE":
        return this.#softDelete(store, key);
      case "delete POST":
      case "delete PUT":
        return this.#setDeleted(store, key, body, true);
      case "undelete POST":
      case "undelete PUT":
        return this.#setDeleted(store, key, body, false);
      case "destroy POST":
      case "destroy PUT":
        return this.#destroy(store, key, body);
      case "metadata GET":
        return this.#readMetadata(store, key);
      case "metadata POST":
      case "metadata PUT":
        return this.#writeMetadata(store, key, body);
      case "metadata PATCH":
        if (!(request.headers["content-type"] ?? "").includes("application/merge-patch+json")) {
          throw new HttpError(415, ["PATCH requires Content-Type: application/merge-patch+json"]);
        }
        return this.#patchMetadata(store, key, body);
      case "metadata DELETE":
        store.delete(key);
        return undefined;
      default:
        throw new HttpError(405, ["unsupported operation"]);
    }
  }

  // ------------------------------------------------------------------ auth

  #authResponse(token: string, entry: Token, policies: string[]): unknown {
    return envelope(null, {
      client_token: token,
      accessor: randomBytes(12).toString("base64url"),
      policies,
      token_policies: policies,
      metadata: null,
      lease_duration: entry.ttlSeconds,
      renewable: entry.renewable,
      entity_id: "",
      token_type: "service",
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    });
  }

  #login(role: LoginRole, path: string): [number, unknown] {
    const token = `hvs.${randomBytes(12).toString("base64url")}`;
    const entry = this.#newToken(role, path);
    this.#tokens.set(token, entry);
    return [200, this.#authResponse(token, entry, ["default", "credkit"])];
  }

  #approleLogin(body: Record<string, unknown>): [number, unknown] {
    const role = typeof body.role_id === "string" ? this.#approle.get(body.role_id) : undefined;
    if (!role || (role.secretId !== undefined && role.secretId !== body.secret_id)) {
      throw new HttpError(400, ["invalid role or secret ID"]);
    }
    this.logins.approle++;
    return this.#login(role.role, `auth/${this.#approleMount}/login`);
  }

  #kubernetesLogin(body: Record<string, unknown>): [number, unknown] {
    if (typeof body.role !== "string" || typeof body.jwt !== "string")
      throw new HttpError(400, ["missing role or jwt"]);
    const role = this.#kubernetes.get(body.role);
    if (!role) throw new HttpError(400, [`invalid role name "${body.role}"`]);
    if (role.jwt !== body.jwt) throw new HttpError(403, ["permission denied"]);
    this.logins.kubernetes++;
    return this.#login(role.role, `auth/${this.#kubernetesMount}/login`);
  }

  #lookup(token: string, entry: Token): unknown {
    const ttl =
      entry.expiresAt === undefined ? 0 : Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000));
    return envelope({
      accessor: "accessor",
      creation_time: Math.floor(entry.issued / 1000),
      creation_ttl: entry.ttlSeconds,
      display_name: "token",
      entity_id: "",
      expire_time: entry.expiresAt === undefined ? null : new Date(entry.expiresAt).toISOString(),
      explicit_max_ttl: 0,
      id: token,
      identity_policies: [],
      issue_time: new Date(entry.issued).toISOString(),
      meta: null,
      num_uses: 0,
      orphan: true,
      path: entry.path,
      policies: ["default"],
      renewable: entry.renewable,
      ttl,
    });
  }

  #renew(token: string, entry: Token, body: Record<string, unknown>): unknown {
    if (!entry.renewable || entry.expiresAt === undefined)
      throw new HttpError(400, ["lease is not renewable"]);
    const increment = typeof body.increment === "number" ? body.increment : entry.ttlSeconds;
    let expiresAt = Date.now() + increment * 1000;
    if (entry.maxExpiresAt !== undefined) expiresAt = Math.min(expiresAt, entry.maxExpiresAt);
    entry.expiresAt = expiresAt;
    this.renewals++;
    const granted = { ...entry, ttlSeconds: Math.max(0, Math.round((expiresAt - Date.now()) / 1000)) };
    return this.#authResponse(token, granted, ["default"]);
  }

  // ------------------------------------------------------------------ KV v2

  #versionMetadata(meta: KeyMeta, number: number, version: Version): Record<string, unknown> {
    return {
      created_time: version.createdTime,
      custom_metadata: meta.customMetadata,
      deletion_time: version.deletionTime,
      destroyed: version.destroyed,
      version: number,
    };
  }

  #read(store: Map<string, KeyMeta>, key: string, query: URLSearchParams): [number, unknown] {
    const meta = store.get(key);
    const requested = Number.parseInt(query.get("version") ?? "0", 10) || 0;
    const number = requested === 0 ? (meta?.currentVersion ?? 0) : requested;
    const version = meta?.versions.get(number);
    if (!meta || !version) throw new HttpError(404, []);
    const metadata = this.#versionMetadata(meta, number, version);
    const gone =
      version.destroyed || (version.deletionTime !== "" && Date.parse(version.deletionTime) <= Date.now());
    // why: Vault answers a deleted or destroyed version with 404 *and* its metadata.
    if (gone) return [404, envelope({ data: null, metadata })];
    return [200, envelope({ data: version.data, metadata })];
  }

  #write(store: Map<string, KeyMeta>, key: string, body: Record<string, unknown>): [number, unknown] {
    const data = body.data;
    if (typeof data !== "object" || data === null || Array.isArray(data))
      throw new HttpError(400, ["no data provided"]);
    const options = (body.options ?? {}) as Record<string, unknown>;
    let meta = store.get(key);
    const current = meta?.currentVersion ?? 0;
    if (options.cas !== undefined) {
      if (typeof options.cas !== "number" || !Number.isInteger(options.cas)) {
        throw new HttpError(400, ["error parsing check-and-set parameter"]);
      }
      if (options.cas !== current) {
        throw new HttpError(400, ["check-and-set parameter did not match the current version"]);
      }
    } else if (meta?.casRequired) {
      throw new HttpError(400, ["check-and-set parameter required for this call"]);
    }
    if (!meta) {
      meta = newKey();
      store.set(key, meta);
    }
    const number = meta.currentVersion + 1;
    const version: Version = {
      data: data as Record<string, unknown>,
      createdTime: now(),
      deletionTime: "",
      destroyed: false,
    };
    meta.versions.set(number, version);
    meta.currentVersion = number;
    meta.updatedTime = version.createdTime;
    if (meta.oldestVersion === 0) meta.oldestVersion = number;
    const max = meta.maxVersions || this.#defaultMaxVersions;
    // why: like vault-plugin-secrets-kv cleanupOldVersions, keep the newest max_versions.
    while (meta.currentVersion - meta.oldestVersion >= max) {
      meta.versions.delete(meta.oldestVersion);
      meta.oldestVersion++;
    }
    const { custom_metadata, ...rest } = this.#versionMetadata(meta, number, version);
    return [200, envelope({ ...rest, custom_metadata })];
  }

  #softDelete(store: Map<string, KeyMeta>, key: string): undefined {
    const meta = store.get(key);
    const version = meta?.versions.get(meta.currentVersion);
    if (version && !version.destroyed && version.deletionTime === "") version.deletionTime = now();
    return undefined;
  }

  #versionsOf(body: Record<string, unknown>): number[] {
    const versions = body.versions;
    if (!Array.isArray(versions) || versions.length === 0)
      throw new HttpError(400, ["no version number provided"]);
    return versions.map((value) => Number(value));
  }

  #setDeleted(
    store: Map<string, KeyMeta>,
    key: string,
    body: Record<string, unknown>,
    deleted: boolean,
  ): undefined {
    const numbers = this.#versionsOf(body);
    const meta = store.get(key);
    for (const number of numbers) {
      const version = meta?.versions.get(number);
      if (!version || version.destroyed) continue;
      version.deletionTime = deleted ? version.deletionTime || now() : "";
    }
    return undefined;
  }

  #destroy(store: Map<string, KeyMeta>, key: string, body: Record<string, unknown>): undefined {
    const numbers = this.#versionsOf(body);
    const meta = store.get(key);
    for (const number of numbers) {
      const version = meta?.versions.get(number);
      if (!version) continue;
      version.destroyed = true;
      version.data = null;
    }
    return undefined;
  }

  #readMetadata(store: Map<string, KeyMeta>, key: string): [number, unknown] {
    const meta = store.get(key);
    if (!meta) throw new HttpError(404, []);
    const versions: Record<string, unknown> = {};
    for (const [number, version] of meta.versions) {
      versions[String(number)] = {
        created_time: version.createdTime,
        deletion_time: version.deletionTime,
        destroyed: version.destroyed,
      };
    }
    return [
      200,
      envelope({
        cas_required: meta.casRequired,
        created_time: meta.createdTime,
        current_version: meta.currentVersion,
        custom_metadata: meta.customMetadata,
        delete_version_after: "0s",
        max_versions: meta.maxVersions,
        oldest_version: meta.oldestVersion,
        updated_time: meta.updatedTime,
        versions,
      }),
    ];
  }

  #validateCustomMetadata(custom: Record<string, unknown>): Record<string, string> {
    const prefix = "custom_metadata validation failed";
    const entries = Object.entries(custom).filter(([, value]) => value !== null);
    if (entries.length > MAX_CUSTOM_METADATA_KEYS) {
      throw new HttpError(400, [
        `1 error occurred:\n\t* ${prefix}: payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${entries.length}\n\n`,
      ]);
    }
    const problems: string[] = [];
    for (const [key, value] of entries) {
      const text = String(value);
      const keyLength = Buffer.byteLength(key);
      const valueLength = Buffer.byteLength(text);
      if (keyLength === 0 || keyLength > MAX_CUSTOM_METADATA_KEY_LENGTH)
        problems.push(`${prefix}: length of key "${key}" is ${keyLength}`);
      if (valueLength === 0 || valueLength > MAX_CUSTOM_METADATA_VALUE_LENGTH) {
        problems.push(`${prefix}: length of value for key "${key}" is ${valueLength}`);
      }
      if (!printable(key)) problems.push(`${prefix}: key "${key}" contains unprintable characters`);
      if (!printable(text))
        problems.push(`${prefix}: value for key "${key}" contains unprintable characters`);
    }
    if (problems.length > 0) {
      throw new HttpError(400, [
        `${problems.length} errors occurred:\n${problems.map((p) => `\t* ${p}`).join("\n")}\n\n`,
      ]);
    }
    return Object.fromEntries(entries.map(([key, value]) => [key, String(value)]));
  }

  #writeMetadata(store: Map<string, KeyMeta>, key: string, body: Record<string, unknown>): undefined {
    const has = (field: string) => Object.hasOwn(body, field);
    // why: Vault's fast path: a metadata write with none of its fields does nothing at all.
    if (
      !has("max_versions") &&
      !has("cas_required") &&
      !has("delete_version_after") &&
      !has("custom_metadata")
    ) {
      return undefined;
    }
    const custom = has("custom_metadata")
      ? this.#validateCustomMetadata((body.custom_metadata ?? {}) as Record<string, unknown>)
      : undefined;
    let meta = store.get(key);
    if (!meta) {
      meta = newKey();
      store.set(key, meta);
    }
    if (has("max_versions")) meta.maxVersions = Number(body.max_versions) || 0;
    if (has("cas_required")) meta.casRequired = body.cas_required === true;
    if (custom) meta.customMetadata = custom;
    return undefined;
  }

  #patchMetadata(store: Map<string, KeyMeta>, key: string, body: Record<string, unknown>): undefined {
    const patch = body.custom_metadata as Record<string, unknown> | undefined;
    // why: like Vault, only the patch's own values are validated, not the merged result.
    if (patch) this.#validateCustomMetadata(patch);
    const meta = store.get(key);
    if (!meta) throw new HttpError(404, []);
    if (patch) {
      const merged: Record<string, string> = { ...(meta.customMetadata ?? {}) };
      for (const [name, value] of Object.entries(patch)) {
        if (value === null) delete merged[name];
        else merged[name] = String(value);
      }
      meta.customMetadata = Object.keys(merged).length > 0 ? merged : null;
    }
    if (Object.hasOwn(body, "max_versions")) meta.maxVersions = Number(body.max_versions) || 0;
    if (Object.hasOwn(body, "cas_required")) meta.casRequired = body.cas_required === true;
    return undefined;
  }

  #list(store: Map<string, KeyMeta>, rawPrefix: string): [number, unknown] {
    const prefix = rawPrefix === "" || rawPrefix.endsWith("/") ? rawPrefix : `${rawPrefix}/`;
    const keys = new Set<string>();
    for (const path of store.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf("/");
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    if (keys.size === 0) throw new HttpError(404, []);
    return [200, envelope({ keys: [...keys].sort() })];
  }
}

function newKey(): KeyMeta {
  const time = now();
  return {
    versions: new Map(),
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    customMetadata: null,
    createdTime: time,
    updatedTime: time,
  };
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? undefined : text;
}

function envelope(data: unknown, auth: unknown = null): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth,
    mount_type: auth ? "" : "kv",
  };
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, ["failed to parse JSON input"]);
  }
}

/** Starts a loopback Vault on 127.0.0.1 and a random port. */
export async function startVaultServer(options: VaultServerOptions = {}): Promise<VaultServer> {
  return new VaultServer(options).listen();
}
