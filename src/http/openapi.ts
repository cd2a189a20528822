/**
 * The OpenAPI 3.1 document, generated from the routes' own zod schemas (JSON Schema 2020-12 is
 * OpenAPI 3.1's dialect), so what is documented is what is validated.
 */
import { z } from "zod";
import { PROBLEM_STATUS } from "./problem.js";
import type { Route } from "./route.js";
import { ProblemSchema } from "./schemas.js";

/** An OpenAPI 3.1 document (the parts this module writes). */
export interface OpenApiDocument {
  readonly openapi: "3.1.0";
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly servers: ReadonlyArray<{ readonly url: string }>;
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, unknown>> };
  readonly tags: ReadonlyArray<{ readonly name: string }>;
}

/** One operation of the document. */
export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly unknown[] | undefined;
  readonly requestBody?: unknown | undefined;
  readonly responses: Readonly<Record<string, unknown>>;
  readonly security?: readonly unknown[] | undefined;
}

type JsonSchema = { properties?: Record<string, unknown>; required?: string[] } & Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const STATUS_TEXT: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(PROBLEM_STATUS).map(([code, status]) => [status, code]),
);

function parameters(route: Route): unknown[] {
  const list: unknown[] = [];
  for (const [place, schema] of [
    ["path", route.params],
    ["query", route.query],
  ] as const) {
    if (!schema) continue;
    const json = jsonSchema(schema, "input");
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      list.push({
        name,
        in: place,
        required: place === "path" || (json.required ?? []).includes(name),
        schema: property,
      });
    }
  }
  if (route.etag && route.conditional !== false) {
    list.push({
      name: "If-Match",
      in: "header",
      required: false,
      description: "An ETag from an earlier answer: the write happens only if the resource is still at it.",
      schema: { type: "string" },
    });
  }
  return list;
}

function responses(route: Route): Record<string, unknown> {
  const { success } = route;
  const answers: Record<string, unknown> = {
    [String(success.status)]: {
      description: success.description,
      ...(success.schema
        ? { content: { "application/json": { schema: jsonSchema(success.schema, "output") } } }
        : {}),
      ...(route.etag && success.schema ? { headers: { ETag: { schema: { type: "string" } } } } : {}),
    },
  };
  const statuses = new Set([...route.errors, ...(route.public ? [] : [401, 403]), 500]);
  for (const status of [...statuses].sort()) {
    answers[String(status)] = {
      description: `Problem: ${STATUS_TEXT[status] ?? "error"}`,
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  return answers;
}

function operation(route: Route): OpenApiOperation {
  const list = parameters(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(list.length ? { parameters: list } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(route.body, "input") } },
          },
        }
      : {}),
    responses: responses(route),
    ...(route.public ? { security: [] } : {}),
  };
}

/** The document for a set of routes served under `prefix`. */
export function openApiDocument(
  routes: readonly Route[],
  options: { prefix: string; version: string },
): OpenApiDocument {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const item of routes) {
    paths[item.path] ??= {};
    paths[item.path]![item.method.toLowerCase()] = operation(item);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "credkit",
      version: options.version,
      description:
        "Credentials (values in, never out), integrations and the connector catalog of one tenant.",
    },
    servers: [{ url: options.prefix || "/" }],
    paths,
    components: { schemas: { Problem: jsonSchema(ProblemSchema, "output") } },
    tags: [...new Set(routes.map((item) => item.tag))].map((name) => ({ name })),
  };
}
