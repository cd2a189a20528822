/** Connector templates: named starting configurations, and integrations created from one. */
import { z } from "zod";
import { type Route, route } from "../route.js";
import {
  ConnectorId,
  CreateFromTemplateBody,
  IntegrationView,
  TemplateId,
  TemplateList,
} from "../schemas.js";
import { createIntegration } from "./integrations.js";

export const templateRoutes: readonly Route[] = [
  route({
    operationId: "listTemplates",
    method: "GET",
    path: "/templates",
    tag: "connectors",
    summary: "Connector templates: named starting configurations (all, or one connector's)",
    query: z.object({ connector: ConnectorId.optional() }),
    success: { status: 200, schema: TemplateList, description: "The templates, sorted by id" },
    errors: [400],
    handle({ api, query }) {
      return { body: { templates: api.registry.templates(query.connector) } };
    },
  }),
  route({
    operationId: "createIntegrationFromTemplate",
    method: "POST",
    path: "/templates/{id}/integrations",
    tag: "integrations",
    summary: "Set up an integration from a template: its connector and configuration, with yours over it",
    params: z.strictObject({ id: TemplateId }),
    body: CreateFromTemplateBody,
    success: { status: 201, schema: IntegrationView, description: "The new integration (status pending)" },
    errors: [400, 404, 409, 413, 415],
    etag: "i",
    handle({ api, params, body }) {
      const template = api.registry.template(params.id);
      return createIntegration(api, { ...body, connector: template.connector }, template.configuration);
    },
  }),
];
