/**
 * The compatibility paths, as a small table over the canonical routes: each alias names its
 * target route, maps its path parameters and, where its body has another shape, its body. A path
 * with `{org}` answers only for the caller's own tenant (another org → 404).
 */
import { z } from "zod";
import { NotFoundError } from "../core/errors.js";
import type { Method, Route } from "./route.js";
import { parseInput } from "./validate.js";

type Params = Readonly<Record<string, string>>;

/** One alias: a method and path in front of a canonical route. */
export interface Alias {
  /**
   * The path family the alias belongs to, e.g. `/api/v1/integrations/{org}`: its OpenAPI tag is
   * "`<group>` (alias paths)" and its `operationId` the group's words in camel case, then the
   * target's (`apiV1IntegrationsGetIntegration`).
   */
  readonly group: string;
  readonly method: Method;
  readonly path: string;
  /** The `operationId` of the route it stands for. */
  readonly target: string;
  /** Maps the alias's path parameters to the target's. @default unchanged */
  readonly params?: ((params: Params) => Params) | undefined;
  /** The alias's body shape and how it becomes the target's body. */
  readonly body?: { readonly schema: z.ZodType; map(body: never, params: Params): unknown } | undefined;
}

/** A key as a string (the connector's API key) or as named fields. */
const Credentials = z.union([
  z.string().min(1).max(65_536),
  z.record(z.string().min(1).max(100), z.string().min(1).max(65_536)),
]);
type CredentialsInput = z.output<typeof Credentials>;
const fields = (credentials: CredentialsInput) =>
  typeof credentials === "string" ? { apiKey: credentials } : credentials;

const ProviderSetupBody = z.strictObject({
  credentials: Credentials,
  config: z.record(z.string(), z.unknown()).optional(),
  name: z.string().optional(),
});
const ProviderUpdateBody = z.strictObject({ config: z.record(z.string(), z.unknown()) });
const ProviderRotateBody = z.strictObject({ new_credentials: Credentials });

const byProvider = (params: Params) => ({ id: params.provider! });

/** The compatibility paths, grouped by the API shape they keep. */
export const COMPATIBILITY_ALIASES: readonly Alias[] = [
  // /api/credentials: credentials by id
  { group: "/api/credentials", method: "GET", path: "/api/credentials", target: "listCredentials" },
  { group: "/api/credentials", method: "POST", path: "/api/credentials", target: "createCredential" },
  { group: "/api/credentials", method: "GET", path: "/api/credentials/{id}", target: "getCredential" },
  { group: "/api/credentials", method: "PUT", path: "/api/credentials/{id}", target: "replaceCredential" },
  { group: "/api/credentials", method: "DELETE", path: "/api/credentials/{id}", target: "deleteCredential" },
  { group: "/api/credentials", method: "POST", path: "/api/credentials/{id}/test", target: "testCredential" },
  // /api/v1/integrations/{org}/{provider}: one integration per provider
  {
    group: "/api/v1/integrations/{org}",
    method: "GET",
    path: "/api/v1/integrations/{org}",
    target: "listIntegrations",
    params: () => ({}),
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "POST",
    path: "/api/v1/integrations/{org}/{provider}/setup",
    target: "createIntegration",
    params: () => ({}),
    body: {
      schema: ProviderSetupBody,
      map: (body: z.output<typeof ProviderSetupBody>, params) => ({
        id: params.provider,
        connector: params.provider,
        name: body.name ?? params.provider,
        credentials: fields(body.credentials),
        ...(body.config !== undefined ? { configuration: body.config } : {}),
      }),
    },
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "POST",
    path: "/api/v1/integrations/{org}/{provider}/validate",
    target: "testIntegration",
    params: byProvider,
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "GET",
    path: "/api/v1/integrations/{org}/{provider}",
    target: "getIntegration",
    params: byProvider,
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "PUT",
    path: "/api/v1/integrations/{org}/{provider}",
    target: "updateIntegration",
    params: byProvider,
    body: {
      schema: ProviderUpdateBody,
      map: (body: z.output<typeof ProviderUpdateBody>) => ({ configuration: body.config }),
    },
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "DELETE",
    path: "/api/v1/integrations/{org}/{provider}",
    target: "deleteIntegration",
    params: byProvider,
  },
  {
    group: "/api/v1/integrations/{org}",
    method: "POST",
    path: "/api/v1/integrations/{org}/{provider}/rotate",
    target: "rotateIntegration",
    params: byProvider,
    body: {
      schema: ProviderRotateBody,
      map: (body: z.output<typeof ProviderRotateBody>) => ({ credentials: fields(body.new_credentials) }),
    },
  },
  // /api/integrations: integrations by id
  { group: "/api/integrations", method: "GET", path: "/api/integrations", target: "listIntegrations" },
  { group: "/api/integrations", method: "POST", path: "/api/integrations", target: "createIntegration" },
  { group: "/api/integrations", method: "GET", path: "/api/integrations/{id}", target: "getIntegration" },
  { group: "/api/integrations", method: "PUT", path: "/api/integrations/{id}", target: "updateIntegration" },
  {
    group: "/api/integrations",
    method: "DELETE",
    path: "/api/integrations/{id}",
    target: "deleteIntegration",
  },
  {
    group: "/api/integrations",
    method: "POST",
    path: "/api/integrations/{id}/test",
    target: "testIntegration",
  },
  // /features/connectors/{id}: a connector's test and credentials
  {
    group: "/features/connectors",
    method: "POST",
    path: "/features/connectors/{id}/test-connection",
    target: "testIntegration",
  },
  {
    group: "/features/connectors",
    method: "GET",
    path: "/features/connectors/{id}/credentials",
    target: "getIntegrationCredentials",
  },
];

/** A path's literal segments in camel case: `/api/v1/integrations/{org}` → `apiV1Integrations`. */
function groupWords(path: string): string {
  const words = path.split(/[/-]/).filter((word) => word !== "" && !word.startsWith("{"));
  return words.map((word, index) => (index === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join("");
}

function paramNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
}

/** The alias as a route: same handler and answers as its target, under the alias's path and group. */
function aliasRoute(alias: Alias, target: Route): Route {
  const names = paramNames(alias.path);
  const params = names.length
    ? z.strictObject(Object.fromEntries(names.map((name) => [name, z.string().min(1).max(200)])))
    : undefined;
  const prefix = groupWords(alias.group);
  return {
    ...target,
    operationId: `${prefix}${target.operationId[0]!.toUpperCase()}${target.operationId.slice(1)}`,
    method: alias.method,
    path: alias.path,
    tag: `${alias.group} (alias paths)`,
    ...(params ? { params } : {}),
    ...(alias.body ? { body: alias.body.schema } : {}),
    handle(context) {
      const raw = (context.params ?? {}) as Params;
      if (raw.org !== undefined && raw.org !== context.principal.tenantId) {
        throw new NotFoundError("No such organization.");
      }
      const mapped = alias.params ? alias.params(raw) : raw;
      const body = alias.body
        ? parseInput(target.body!, alias.body.map(context.body as never, raw), "body")
        : context.body;
      return target.handle({
        ...context,
        params: target.params ? parseInput(target.params, mapped, "path") : undefined,
        body,
      });
    },
  };
}

/** The alias routes for a table, each checked to name an existing route. */
export function aliasRoutes(routes: readonly Route[], aliases: readonly Alias[]): Route[] {
  const byId = new Map(routes.map((item) => [item.operationId, item]));
  const seen = new Set<string>();
  return aliases.map((alias, index) => {
    const target = byId.get(alias.target);
    if (!target) throw new TypeError(`Alias ${index} names no route "${alias.target}".`);
    const made = aliasRoute(alias, target);
    // Two aliases of one group may stand for one target (e.g. PUT and PATCH): keep ids unique.
    const id = seen.has(made.operationId) ? `${made.operationId}${index}` : made.operationId;
    seen.add(id);
    return { ...made, operationId: id };
  });
}
