/**
 * Integration routes: tenant connections set up from a connector, a name,
 * configuration and a key or secret references; tested, rotated, disabled, deleted.
 */
import { z } from "zod";
import { findField } from "../../connectors/define.js";
import type { ConnectorSpec } from "../../connectors/types.js";
import { ConflictError, ValidationError } from "../../core/errors.js";
import { Secret } from "../../core/secret.js";
import { type Route, route, type TenantApi } from "../route.js";
import {
  CreateIntegrationBody,
  IntegrationId,
  IntegrationList,
  IntegrationView,
  ListQuery,
  MaskedCredentials,
  RotateIntegrationBody,
  TestResult,
  UpdateIntegrationBody,
} from "../schemas.js";
import { integrationListJson, integrationView } from "../views.js";

const ById = z.strictObject({ id: IntegrationId });
const TAG = "integrations";

/** The format check: a value that misses its field's declared pattern is a `ValidationError`. */
export function checkKeyFormat(spec: ConnectorSpec, values: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(values)) {
    const pattern = findField(spec, key)?.pattern;
    if (pattern !== undefined && !new RegExp(pattern).test(value)) {
      throw new ValidationError(`Invalid API key format for ${spec.displayName}`, key);
    }
  }
}

/** Secret values wrapped as `Secret`, so the service moves every one of them to the store. */
function secrets(values: Readonly<Record<string, string>> | undefined): Record<string, Secret> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, new Secret(value)]));
}

async function specOf(api: TenantApi, id: string): Promise<ConnectorSpec> {
  return api.registry.spec((await api.connections.get(id)).connector);
}

/**
 * Creates an integration from a request body; a template's configuration (if any) lies under the
 * body's. The route of `POST /integrations` and of `POST /templates/{id}/integrations`.
 */
export async function createIntegration(
  api: TenantApi,
  body: z.output<typeof CreateIntegrationBody>,
  base: Readonly<Record<string, unknown>> = {},
) {
  const spec = api.registry.spec(body.connector);
  if (body.credentials) checkKeyFormat(spec, body.credentials);
  try {
    const record = await api.connections.create({
      ...(body.id !== undefined ? { id: body.id } : {}),
      connector: body.connector,
      instanceName: body.name,
      configuration: { ...base, ...body.configuration, ...secrets(body.credentials) },
      ...(body.secretsReferences !== undefined ? { secretsReferences: body.secretsReferences } : {}),
      ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
    });
    return { status: 201, body: integrationView(record), version: record.revision };
  } catch (error) {
    if (ConflictError.isInstance(error)) {
      throw new ConflictError(`Integration already exists for ${spec.displayName}`, undefined, {
        cause: error,
      });
    }
    throw error;
  }
}

export const integrationRoutes: readonly Route[] = [
  route({
    operationId: "listIntegrations",
    method: "GET",
    path: "/integrations",
    tag: TAG,
    summary: "List the tenant's integrations with their status (paged, sorted by id)",
    query: ListQuery,
    success: { status: 200, schema: IntegrationList, description: "A page of the tenant's integrations" },
    errors: [400],
    async handle({ api, query }) {
      return { json: integrationListJson(await api.connections.list(query)) };
    },
  }),
  route({
    operationId: "createIntegration",
    method: "POST",
    path: "/integrations",
    tag: TAG,
    summary: "Set up an integration: connector, name, configuration, a key or secret references",
    body: CreateIntegrationBody,
    success: { status: 201, schema: IntegrationView, description: "The new integration (status pending)" },
    errors: [400, 409, 413, 415],
    etag: "i",
    handle: ({ api, body }) => createIntegration(api, body),
  }),
  route({
    operationId: "getIntegration",
    method: "GET",
    path: "/integrations/{id}",
    tag: TAG,
    summary: "One integration",
    params: ById,
    success: { status: 200, schema: IntegrationView, description: "The integration" },
    errors: [400, 404],
    etag: "i",
    async handle({ api, params }) {
      const record = await api.connections.get(params.id);
      return { body: integrationView(record), version: record.revision };
    },
  }),
  route({
    operationId: "updateIntegration",
    method: "PATCH",
    path: "/integrations/{id}",
    tag: TAG,
    summary: "Change an integration's name, configuration, references or key",
    params: ById,
    body: UpdateIntegrationBody,
    success: { status: 200, schema: IntegrationView, description: "The updated integration" },
    errors: [400, 404, 412, 413, 415],
    etag: "i",
    async handle({ api, params, body }) {
      if (body.credentials) checkKeyFormat(await specOf(api, params.id), body.credentials);
      const record = await api.connections.update(params.id, {
        ...(body.name !== undefined ? { instanceName: body.name } : {}),
        configuration: { ...body.configuration, ...secrets(body.credentials) },
        ...(body.secretsReferences !== undefined ? { secretsReferences: body.secretsReferences } : {}),
      });
      return { body: integrationView(record), version: record.revision };
    },
  }),
  route({
    operationId: "deleteIntegration",
    method: "DELETE",
    path: "/integrations/{id}",
    tag: TAG,
    summary: "Delete an integration and the credentials created for it",
    params: ById,
    success: { status: 204, description: "Deleted" },
    errors: [400, 404, 412],
    etag: "i",
    async handle({ api, params }) {
      await api.connections.delete(params.id);
      return { status: 204 };
    },
  }),
  route({
    operationId: "testIntegration",
    method: "POST",
    path: "/integrations/{id}/test",
    tag: TAG,
    summary: "Validate an integration against its provider (status becomes active or error)",
    params: ById,
    success: { status: 200, schema: TestResult, description: "The verdict (never a value)" },
    errors: [400, 404, 412],
    etag: "i",
    async handle({ api, params }) {
      return { body: await api.connections.testConnectorConnection(params.id) };
    },
  }),
  route({
    operationId: "rotateIntegration",
    method: "POST",
    path: "/integrations/{id}/rotate",
    tag: TAG,
    summary: "Rotate an integration's key (status goes back to pending until the next test)",
    params: ById,
    body: RotateIntegrationBody,
    success: { status: 200, schema: IntegrationView, description: "The integration" },
    errors: [400, 404, 412, 413, 415],
    etag: "i",
    async handle({ api, params, body }) {
      checkKeyFormat(await specOf(api, params.id), body.credentials);
      const record = await api.connections.rotateCredentials(params.id, body.credentials, {
        ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
      });
      return { body: integrationView(record), version: record.revision };
    },
  }),
  ...(["disable", "enable"] as const).map((action) =>
    route({
      operationId: `${action}Integration`,
      method: "POST",
      path: `/integrations/{id}/${action}`,
      tag: TAG,
      summary: action === "disable" ? "Disable an integration" : "Enable a disabled integration",
      params: ById,
      success: { status: 200, schema: IntegrationView, description: "The integration" },
      errors: [400, 404, 412],
      etag: "i",
      async handle({ api, params }) {
        const record = await api.connections[action](params.id);
        return { body: integrationView(record), version: record.revision };
      },
    }),
  ),
  route({
    operationId: "getIntegrationCredentials",
    method: "GET",
    path: "/integrations/{id}/credentials",
    tag: TAG,
    summary: "An integration's configuration with its secrets masked (***key123), and their fingerprints",
    params: ById,
    success: { status: 200, schema: MaskedCredentials, description: "Masked credentials" },
    errors: [400, 404, 410],
    async handle({ api, params }) {
      const [credentials, fingerprints] = await Promise.all([
        api.connections.getMaskedCredentials(params.id),
        api.connections.getSecretFingerprints(params.id),
      ]);
      return { body: { credentials, fingerprints } };
    },
  }),
];
