/**
 * What a route is: method, path template, the schemas of its parameters, query and body, what it
 * answers, and its handler. The router, the alias table and the OpenAPI document all read routes.
 */
import type { z } from "zod";
import type { ConnectorRegistry } from "../connectors/registry.js";
import type { ConnectorService } from "../connectors/service.js";
import type { ConnectorOptions } from "../connectors/types.js";
import type { AuditEvent } from "../core/audit.js";
import type { TenantCredentials } from "../core/credential-manager.js";

/** Who is calling: the tenant every operation is scoped to, and the actor recorded on writes. */
export interface Principal {
  /** The tenant (organisation, user or workspace) the request acts for. */
  readonly tenantId: string;
  /** Who acts, recorded as `createdBy` and in the audit trail. */
  readonly actor: string;
}

/** HTTP methods the API uses. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a handler works with: everything bound to the caller's tenant. */
export interface TenantApi {
  readonly credentials: TenantCredentials;
  readonly connections: ConnectorService;
  readonly registry: ConnectorRegistry<object>;
  /** Options for connectors built to test a credential. */
  readonly connectorOptions: (connector: string) => ConnectorOptions;
  /** The tenant's events in the manager's in-memory audit ring, oldest first. */
  readonly auditEvents: () => AuditEvent[];
}

/** The input of a handler, validated. */
export interface RouteContext<P, Q, B> {
  readonly request: Request;
  readonly principal: Principal;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The `If-Match` precondition as a version or revision number, when the request sent one. */
  readonly ifMatch: number | undefined;
  readonly api: TenantApi;
}

/** A handler's answer: JSON `body` (none for 204) and the version or revision for the ETag. */
export interface Reply {
  readonly status?: number | undefined;
  readonly body?: unknown | undefined;
  /** The body already rendered as JSON (a cached listing's text); answered instead of `body`. */
  readonly json?: string | undefined;
  readonly version?: number | undefined;
}

/** A route, as declared. */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  /** Unique name, also the OpenAPI `operationId` and the client's method key. */
  readonly operationId: string;
  readonly method: Method;
  /** Path template below the prefix, e.g. `/credentials/{id}`. */
  readonly path: string;
  /** OpenAPI tag: `credentials`, `integrations`, `connectors`, or an alias group. */
  readonly tag: string;
  readonly summary: string;
  readonly params?: P | undefined;
  readonly query?: Q | undefined;
  readonly body?: B | undefined;
  /** The success answer: its status, schema (none for 204) and description. */
  readonly success: { readonly status: number; readonly schema?: z.ZodType; readonly description: string };
  /** Error statuses the route can answer with (besides 401, 403 and 500, which all can). */
  readonly errors: readonly number[];
  /**
   * ETag kind: `v` (credential version) or `i` (integration revision). The response carries an
   * ETag and the route honours `If-Match` (412 on mismatch).
   */
  readonly etag?: "v" | "i" | undefined;
  /**
   * Whether `If-Match` makes the operation conditional (412 on mismatch). False for an operation
   * that changes no value and keeps the version (restore): its answer still carries an ETag.
   * @default true for a route with `etag`
   */
  readonly conditional?: boolean | undefined;
  /** Served without `authenticate` (only the OpenAPI document). */
  readonly public?: boolean | undefined;
  handle(context: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<Reply> | Reply;
}

/** A route of any shape. */
export type Route = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Declares a route, keeping its handler's input typed from its schemas. */
export function route<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, B>): Route {
  return spec as unknown as Route;
}
