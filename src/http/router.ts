/**
 * `createRouter`: credkit's HTTP API as one function from a web-standard `Request` to a
 * `Response`, so it mounts unchanged in Hono, Next.js route handlers, Cloudflare Workers, Bun and
 * Deno (and in Express or Fastify through `toNodeHandler`).
 *
 * Every request except the OpenAPI document goes through the application's `authenticate` hook;
 * every operation is scoped to the tenant it returns, so another tenant's id is simply not found.
 */

import { z } from "zod";
import type { ConnectionStore } from "../connectors/connection-store.js";
import { credentialConnectionStore } from "../connectors/connection-stores/credential-store.js";
import { type ConnectorRegistry, defaultRegistry } from "../connectors/registry.js";
import { ConnectorService, type ConnectorServiceOptions } from "../connectors/service.js";
import type { ConnectorOptions } from "../connectors/types.js";
import type { CredentialManager } from "../core/credential-manager.js";
import { ConflictError } from "../core/errors.js";
import { isBoundedId } from "../core/ids.js";
import { aliasRoutes, COMPATIBILITY_ALIASES } from "./aliases.js";
import { type Authenticate, principalOf } from "./auth.js";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./body.js";
import type { CsrfCheck } from "./csrf.js";
import { etagOf, parseIfMatch, preconditionFailed } from "./etag.js";
import { guardRevision } from "./guarded-store.js";
import { ANSWER, type AnswersDirectly, type TextAnswer, toResponse } from "./known-bodies.js";
import { compilePath, type PathMatcher, pathSegments } from "./match.js";
import { type OpenApiDocument, openApiDocument } from "./openapi.js";
import { HttpProblem, problemResponse, toProblem } from "./problem.js";
import type { Principal, Reply, Route, TenantApi } from "./route.js";
import { auditRoutes } from "./routes/audit.js";
import { catalogRoutes } from "./routes/catalog.js";
import { credentialRoutes } from "./routes/credentials.js";
import { integrationRoutes } from "./routes/integrations.js";
import { templateRoutes } from "./routes/templates.js";
import { parseInput } from "./validate.js";

/** What a mount is told about a request besides the request itself. */
export interface MountContext {
  /** The caller (absent for a public mount). */
  readonly principal?: Principal | undefined;
  /** The router's prefix, e.g. `/credkit` (where the API is). */
  readonly prefix: string;
  /** The request's decoded path below the prefix, e.g. `/admin/admin.js`. */
  readonly path: string;
}

/** A handler mounted below the prefix, e.g. the admin page's static assets. */
export interface Mount {
  /** Path below the prefix that it serves, with everything under it, e.g. `/admin`. */
  readonly path: string;
  /** Serves a request; `principal` is the caller (absent for a public mount). */
  fetch(request: Request, context: MountContext): Response | Promise<Response>;
  /** Serve without `authenticate` (public assets such as a login page's script). @default false */
  readonly public?: boolean | undefined;
  /**
   * A CSRF check the mount brings for every POST, PUT, PATCH and DELETE the router serves (a page
   * whose script calls the API protects the API it calls), checked besides the router's `csrf`.
   */
  readonly csrf?: CsrfCheck | undefined;
}

/** Options of `createRouter`. */
export interface RouterOptions {
  /** Where credentials live. */
  credentials: CredentialManager;
  /**
   * Decides who is calling: `{ tenantId, actor }`, or `refuse(401 | 403)`, or null (401).
   * Required; see `apiKeyAuthentication` for the built-in per-organisation `X-API-Key`.
   */
  authenticate: Authenticate;
  /**
   * Where integration records live, shared by every tenant.
   * @default credentialConnectionStore(credentials): beside the credentials, in the same backend,
   * so integrations are as durable as the store `VAULT_TYPE` chose; `memoryConnectionStore()`
   * only when passed here (tests)
   */
  connections?: ConnectionStore | undefined;
  /** Path the API is served under, e.g. `/credkit`. @default "" (the root) */
  prefix?: string | undefined;
  /** Connectors of the catalog and of integrations. @default the default registry */
  registry?: ConnectorRegistry<object> | undefined;
  /** Options for every connector built (e.g. `baseURL`, `timeout`), or a function per connector id. */
  connectorOptions?: ConnectorServiceOptions["connectorOptions"] | undefined;
  /**
   * Largest request body in bytes; larger ones get 413.
   * @default 65536
   */
  maxBodyBytes?: number | undefined;
  /**
   * Also serve the compatibility paths (`/api/credentials`, `/api/v1/integrations/{org}/{provider}`,
   * `/api/integrations`, `/features/connectors/{id}/…`), below the prefix: the same operations
   * under the paths and body shapes of earlier integration APIs.
   * @default true
   */
  aliases?: boolean | undefined;
  /** Handlers mounted below the prefix (static assets, the admin page). */
  mounts?: readonly Mount[] | undefined;
  /**
   * Checked on every POST, PUT, PATCH and DELETE after authentication; false → 403. Use it for
   * a CSRF token or an `Origin` check when `authenticate` reads a cookie.
   */
  csrf?: CsrfCheck | undefined;
  /** Told of every 5xx answer's error (for logging; the answer never carries its message). */
  onError?: ((error: unknown, request: Request) => void) | undefined;
}

/** The router: `fetch` answers a request; `openapi` is the document it serves. */
export interface Router {
  /** Answers one request. Never throws: failures become problem+json answers. */
  fetch(request: Request): Promise<Response>;
  /** The prefix the router serves under. */
  readonly prefix: string;
  /** The OpenAPI 3.1 document (also served at `{prefix}/openapi.json`). */
  openapi(): OpenApiDocument;
}

const VERSION = "0.1.0";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const EMPTY_QUERY = z.object({});
const BASE_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" } as const;

function normalPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/\/+$/, "");
  if (trimmed && !trimmed.startsWith("/")) throw new TypeError("prefix must start with '/'.");
  return trimmed;
}

function reply(route: Route, answer: Reply): TextAnswer {
  const status = answer.status ?? route.success.status;
  const headers: Record<string, string> = { ...BASE_HEADERS };
  if (route.etag && answer.version !== undefined) headers.etag = etagOf(route.etag, answer.version);
  if (status === 204 || (answer.body === undefined && answer.json === undefined))
    return { status, headers, body: null };
  headers["content-type"] = "application/json";
  return { status, headers, body: answer.json ?? JSON.stringify(answer.body) };
}

/**
 * The request's correlation id for the audit trail: `X-Request-Id`, else `X-Correlation-Id`. A
 * header out of the id bounds (empty, over 256 bytes) is not recorded rather than failing the call.
 */
function correlationOf(request: Request): { correlationId?: string } {
  const id = request.headers.get("x-request-id") ?? request.headers.get("x-correlation-id");
  return isBoundedId(id) ? { correlationId: id } : {};
}

function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams);
}

/** Creates the router. */
export function createRouter(options: RouterOptions): Router {
  if (typeof options.authenticate !== "function") {
    throw new TypeError("createRouter needs an authenticate(request) function; there is no anonymous mode.");
  }
  const prefix = normalPrefix(options.prefix);
  const connections = options.connections ?? credentialConnectionStore(options.credentials);
  const registry = options.registry ?? defaultRegistry;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const canonical = [
    ...credentialRoutes,
    ...integrationRoutes,
    ...catalogRoutes,
    ...templateRoutes,
    ...auditRoutes,
  ];
  let document: OpenApiDocument | undefined;
  const openapiRoute: Route = {
    operationId: "getOpenApiDocument",
    method: "GET",
    path: "/openapi.json",
    tag: "meta",
    summary: "This document",
    success: { status: 200, description: "The OpenAPI 3.1 document" },
    errors: [],
    public: true,
    handle: () => ({ body: openapi() }),
  };
  const routes = [
    ...canonical,
    openapiRoute,
    ...(options.aliases === false ? [] : aliasRoutes(canonical, COMPATIBILITY_ALIASES)),
  ];
  const compiled: Array<{ route: Route; match: PathMatcher }> = routes.map((item) => ({
    route: item,
    match: compilePath(item.path),
  }));
  const mounts = (options.mounts ?? []).map((mount) => ({ mount, path: normalPrefix(mount.path) }));
  const csrfChecks = [options.csrf, ...mounts.map(({ mount }) => mount.csrf)].filter(
    (check): check is CsrfCheck => check !== undefined,
  );

  function openapi(): OpenApiDocument {
    document ??= openApiDocument(routes, { prefix, version: VERSION });
    return document;
  }

  const optionsFor = (connector: string): ConnectorOptions => {
    const configured = options.connectorOptions;
    return typeof configured === "function" ? configured(connector) : (configured ?? {});
  };

  function tenantApi(
    principal: Principal,
    ifMatch: number | undefined,
    route: Route,
    request: Request,
  ): TenantApi {
    const store =
      ifMatch !== undefined && route.etag === "i" ? guardRevision(connections, ifMatch) : connections;
    return {
      credentials: options.credentials.forTenant(principal.tenantId, {
        actor: principal.actor,
        ...correlationOf(request),
      }),
      connections: new ConnectorService({
        credentials: options.credentials,
        tenantId: principal.tenantId,
        store,
        registry,
        actor: principal.actor,
        ...(options.connectorOptions !== undefined ? { connectorOptions: options.connectorOptions } : {}),
      }),
      registry,
      connectorOptions: optionsFor,
      auditEvents: () => options.credentials.audit.events({ tenant: principal.tenantId }),
    };
  }

  async function guard(request: Request, publicRoute: boolean): Promise<Principal | undefined> {
    if (publicRoute) return undefined;
    const principal = await principalOf(options.authenticate, request);
    if (UNSAFE.has(request.method)) {
      for (const check of csrfChecks) {
        if (!(await check(request, principal))) {
          throw new HttpProblem("forbidden", "The request failed the CSRF check.");
        }
      }
    }
    return principal;
  }

  async function serve(request: Request, route: Route, params: Record<string, string>, url: URL) {
    const principal = (await guard(request, route.public === true)) as Principal;
    const parsedParams = route.params ? parseInput(route.params, params, "path") : undefined;
    const query = parseInput(route.query ?? EMPTY_QUERY, queryOf(url), "query");
    const ifMatch =
      route.etag && route.conditional !== false
        ? parseIfMatch(request.headers.get("if-match"), route.etag)
        : undefined;
    const body = route.body ? parseInput(route.body, await readJsonBody(request, limit), "body") : undefined;
    let api: TenantApi | undefined;
    try {
      const answer = await route.handle({
        request,
        principal,
        params: parsedParams,
        query,
        body,
        ifMatch,
        get api() {
          api ??= tenantApi(principal, ifMatch, route, request);
          return api;
        },
      });
      return reply(route, answer);
    } catch (error) {
      if (ifMatch !== undefined && ConflictError.isInstance(error)) throw preconditionFailed();
      throw error;
    }
  }

  async function dispatch(request: Request): Promise<Response | TextAnswer> {
    const url = new URL(request.url);
    const segments = pathSegments(url.pathname, prefix);
    if (!segments) throw new HttpProblem("route_not_found", "No route matches this path.");
    const path = `/${segments.join("/")}`;
    const mounted = mounts.find(({ path: at }) => path === at || path.startsWith(`${at}/`));
    if (mounted) {
      const principal = await guard(request, mounted.mount.public === true);
      return mounted.mount.fetch(request, { ...(principal ? { principal } : {}), prefix, path });
    }
    const matching = compiled.flatMap(({ route, match }) => {
      const params = match(segments);
      return params ? [{ route, params }] : [];
    });
    if (matching.length === 0) throw new HttpProblem("route_not_found", "No route matches this path.");
    const hit = matching.find(({ route }) => route.method === request.method);
    if (!hit) {
      const allow = [...new Set(matching.map(({ route }) => route.method))].join(", ");
      throw new HttpProblem("method_not_allowed", `This path answers ${allow}.`, { headers: { allow } });
    }
    return serve(request, hit.route, hit.params, url);
  }

  async function answer(request: Request): Promise<Response | TextAnswer> {
    try {
      return await dispatch(request);
    } catch (error) {
      const { problem, headers } = toProblem(error);
      if (problem.status >= 500) options.onError?.(error, request);
      return problemResponse(problem, { ...BASE_HEADERS, ...headers });
    }
  }

  const router: Router & AnswersDirectly = {
    prefix,
    openapi,
    fetch: async (request) => toResponse(await answer(request)),
    [ANSWER]: answer,
  };
  return router;
}
