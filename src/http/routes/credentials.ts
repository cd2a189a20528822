/**
 * Credential routes (`/credentials`, also served as `/api/credentials`): metadata out, values in,
 * never out.
 */
import { z } from "zod";
import { useConnector } from "../../connectors/define.js";
import { scrubbedCall } from "../../connectors/service/scrubbed.js";
import type { CredentialType } from "../../core/credential-types.js";
import { Redactor } from "../../core/redact.js";
import { preconditionFailed } from "../etag.js";
import { type Route, route } from "../route.js";
import {
  CreateCredentialBody,
  CredentialId,
  CredentialList,
  CredentialView,
  DeleteQuery,
  ListQuery,
  ReplaceCredentialBody,
  TestCredentialBody,
  TestResult,
} from "../schemas.js";
import { credentialView } from "../views.js";

const ById = z.strictObject({ id: CredentialId });
const TAG = "credentials";
/** The accessor recorded in the audit trail when a credential is tested over HTTP. */
const TEST_ACCESSOR = "http_test";

function writeOptions(body: { type?: string; expiresAt?: string }, actor: string, ifVersion?: number) {
  return {
    actor,
    ...(body.type !== undefined ? { type: body.type as CredentialType } : {}),
    ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
    ...(ifVersion !== undefined ? { ifVersion } : {}),
  };
}

export const credentialRoutes: readonly Route[] = [
  route({
    operationId: "listCredentials",
    method: "GET",
    path: "/credentials",
    tag: TAG,
    summary: "List the tenant's credentials (metadata only)",
    query: ListQuery,
    success: { status: 200, schema: CredentialList, description: "A page of credentials" },
    errors: [400],
    async handle({ api, query }) {
      const page = await api.credentials.list({
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return {
        body: {
          credentials: page.items.map(credentialView),
          ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
        },
      };
    },
  }),
  route({
    operationId: "createCredential",
    method: "POST",
    path: "/credentials",
    tag: TAG,
    summary: "Store a new credential",
    body: CreateCredentialBody,
    success: { status: 201, schema: CredentialView, description: "The stored credential's metadata" },
    errors: [400, 409, 413, 415],
    etag: "v",
    async handle({ api, body, principal }) {
      const info = await api.credentials.store(body.id, body.values, writeOptions(body, principal.actor, 0));
      return { status: 201, body: credentialView(info), version: info.version };
    },
  }),
  route({
    operationId: "getCredential",
    method: "GET",
    path: "/credentials/{id}",
    tag: TAG,
    summary: "A credential's metadata (masked; never its values)",
    params: ById,
    success: { status: 200, schema: CredentialView, description: "The credential's metadata" },
    errors: [400, 404],
    etag: "v",
    async handle({ api, params }) {
      const info = await api.credentials.describe(params.id);
      return { body: credentialView(info), version: info.version };
    },
  }),
  route({
    operationId: "replaceCredential",
    method: "PUT",
    path: "/credentials/{id}",
    tag: TAG,
    summary: "Rotate a credential: new values replace all fields (a new version)",
    params: ById,
    body: ReplaceCredentialBody,
    success: { status: 200, schema: CredentialView, description: "The new version's metadata" },
    errors: [400, 404, 409, 412, 413, 415],
    etag: "v",
    async handle({ api, params, body, principal, ifMatch }) {
      const info = await api.credentials.rotate(
        params.id,
        body.values,
        writeOptions(body, principal.actor, ifMatch),
      );
      return { body: credentialView(info), version: info.version };
    },
  }),
  route({
    operationId: "updateCredential",
    method: "PATCH",
    path: "/credentials/{id}",
    tag: TAG,
    summary: "Change some fields of a credential, keeping the others (a new version)",
    params: ById,
    body: ReplaceCredentialBody,
    success: { status: 200, schema: CredentialView, description: "The new version's metadata" },
    errors: [400, 404, 409, 412, 413, 415],
    etag: "v",
    async handle({ api, params, body, principal, ifMatch }) {
      const info = await api.credentials.update(
        params.id,
        body.values,
        writeOptions(body, principal.actor, ifMatch),
      );
      return { body: credentialView(info), version: info.version };
    },
  }),
  route({
    operationId: "deleteCredential",
    method: "DELETE",
    path: "/credentials/{id}",
    tag: TAG,
    summary: "Delete a credential (recoverably where the store can, unless purge=true)",
    params: ById,
    query: DeleteQuery,
    success: { status: 204, description: "Deleted" },
    errors: [400, 404, 412],
    etag: "v",
    async handle({ api, params, query, principal, ifMatch }) {
      const info = await api.credentials.describe(params.id);
      if (ifMatch !== undefined && info.version !== ifMatch) throw preconditionFailed();
      await api.credentials.delete(params.id, { purge: query.purge === "true", actor: principal.actor });
      return { status: 204 };
    },
  }),
  route({
    operationId: "restoreCredential",
    method: "POST",
    path: "/credentials/{id}/restore",
    tag: TAG,
    summary: "Undo a soft delete",
    params: ById,
    success: { status: 200, schema: CredentialView, description: "The restored credential's metadata" },
    errors: [400, 404, 501],
    etag: "v",
    conditional: false,
    async handle({ api, params, principal }) {
      await api.credentials.restore(params.id, { actor: principal.actor });
      const info = await api.credentials.describe(params.id);
      return { body: credentialView(info), version: info.version };
    },
  }),
  route({
    operationId: "testCredential",
    method: "POST",
    path: "/credentials/{id}/test",
    tag: TAG,
    summary: "Test a credential against a connector's provider",
    params: ById,
    body: TestCredentialBody,
    success: { status: 200, schema: TestResult, description: "The verdict (never a value)" },
    errors: [400, 404, 410, 413, 415],
    async handle({ api, params, body }) {
      api.registry.spec(body.connector);
      const values = await api.credentials.get(params.id, { accessor: TEST_ACCESSOR });
      const options = api.connectorOptions(body.connector);
      // why: building a connector can fail with an error naming what it was given
      const result = await scrubbedCall(new Redactor(Object.values(values)), async () => {
        const connector = await api.registry.get(body.connector, values, {
          ...options,
          redact: [...(options.redact ?? []), ...Object.values(values)],
        });
        return useConnector(connector, (built) => built.testConnection());
      });
      api.credentials.recordTest(params.id, TEST_ACCESSOR, result.success);
      return { body: result };
    },
  }),
];
