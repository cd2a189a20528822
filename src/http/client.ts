/**
 * credkit/http/client: a typed, fetch-based client of the HTTP API for front ends (browser-safe:
 * it imports nothing at run time). Every method maps to one operation of the OpenAPI document;
 * failures throw `CredkitApiError` carrying the problem's `code`.
 */
import type {
  AuditEventData,
  ConnectorViewData,
  CreateCredentialInput,
  CreateFromTemplateInput,
  CreateIntegrationInput,
  CredentialViewData,
  IntegrationViewData,
  ReplaceCredentialInput,
  RotateIntegrationInput,
  TemplateViewData,
  TestResultData,
  UpdateIntegrationInput,
} from "./schemas.js";

export type {
  AuditEventData as AuditEventView,
  ConnectorViewData as ConnectorView,
  CreateCredentialInput,
  CreateFromTemplateInput,
  CreateIntegrationInput,
  CredentialViewData as CredentialView,
  IntegrationViewData as IntegrationView,
  ReplaceCredentialInput,
  RotateIntegrationInput,
  TemplateViewData as TemplateView,
  TestResultData as TestResult,
  UpdateIntegrationInput,
};

/** Options of `createClient`. */
export interface ClientOptions {
  /** Where the router is mounted, e.g. `https://app.example/credkit` or `/credkit`. */
  baseUrl: string;
  /** Headers sent with every request (e.g. `X-API-Key`), or a function returning them. */
  headers?:
    | (Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>))
    | undefined;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/** A problem+json answer from the API. */
export interface ApiProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly field?: string | undefined;
}

/** The API answered with an error. `code` is credkit's stable code. */
export class CredkitApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(problem: ApiProblem) {
    super(problem.detail);
    this.name = "CredkitApiError";
    this.status = problem.status;
    this.code = problem.code;
    this.field = problem.field;
  }
}

/** Every operation the client calls: operationId → method and path template (checked against the document). */
export const CLIENT_OPERATIONS = {
  listCredentials: ["GET", "/credentials"],
  createCredential: ["POST", "/credentials"],
  getCredential: ["GET", "/credentials/{id}"],
  replaceCredential: ["PUT", "/credentials/{id}"],
  updateCredential: ["PATCH", "/credentials/{id}"],
  deleteCredential: ["DELETE", "/credentials/{id}"],
  restoreCredential: ["POST", "/credentials/{id}/restore"],
  testCredential: ["POST", "/credentials/{id}/test"],
  listIntegrations: ["GET", "/integrations"],
  createIntegration: ["POST", "/integrations"],
  getIntegration: ["GET", "/integrations/{id}"],
  updateIntegration: ["PATCH", "/integrations/{id}"],
  deleteIntegration: ["DELETE", "/integrations/{id}"],
  testIntegration: ["POST", "/integrations/{id}/test"],
  rotateIntegration: ["POST", "/integrations/{id}/rotate"],
  disableIntegration: ["POST", "/integrations/{id}/disable"],
  enableIntegration: ["POST", "/integrations/{id}/enable"],
  getIntegrationCredentials: ["GET", "/integrations/{id}/credentials"],
  listConnectors: ["GET", "/connectors"],
  getConnector: ["GET", "/connectors/{id}"],
  listTemplates: ["GET", "/templates"],
  createIntegrationFromTemplate: ["POST", "/templates/{id}/integrations"],
  listAuditEvents: ["GET", "/audit"],
} as const satisfies Record<string, readonly [string, string]>;

type OperationId = keyof typeof CLIENT_OPERATIONS;

interface CallOptions {
  params?: Record<string, string> | undefined;
  query?: Record<string, string | number | undefined>;
  body?: unknown | undefined;
  ifMatch?: string | undefined;
}

/** Makes an integration change conditional: `ifRevision` is the revision last read (its ETag). */
export interface Conditional {
  /** Change only if the integration is still at this revision; else 412. */
  ifRevision?: number | undefined;
}

/** The typed client. */
export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));

  async function call<T>(operation: OperationId, call: CallOptions = {}): Promise<T> {
    const [method, template] = CLIENT_OPERATIONS[operation];
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(call.params?.[name] ?? ""),
    );
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) query.set(name, String(value));
    const extra = typeof options.headers === "function" ? await options.headers() : (options.headers ?? {});
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    if (call.ifMatch !== undefined) headers["if-match"] = call.ifMatch;
    const search = query.size ? `?${query}` : "";
    const response = await doFetch(`${base}${path}${search}`, {
      method,
      headers,
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    });
    if (!response.ok) {
      const problem = (await response.json().catch(() => undefined)) as ApiProblem | undefined;
      throw new CredkitApiError(
        problem?.code
          ? problem
          : {
              type: "about:blank",
              title: response.statusText,
              status: response.status,
              detail: response.statusText,
              code: "http",
            },
      );
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const byId = (id: string) => ({ params: { id } });
  const version = (kind: "v" | "i", value: number | undefined) =>
    value === undefined ? {} : { ifMatch: `"${kind}${value}"` };

  return {
    credentials: {
      list: (query: { cursor?: string; limit?: number } = {}) =>
        call<{ credentials: CredentialViewData[]; cursor?: string }>("listCredentials", { query }),
      create: (body: CreateCredentialInput) => call<CredentialViewData>("createCredential", { body }),
      get: (id: string) => call<CredentialViewData>("getCredential", byId(id)),
      /** Replaces every field (a new version); `ifVersion` makes it conditional. */
      replace: (id: string, body: ReplaceCredentialInput, options: { ifVersion?: number } = {}) =>
        call<CredentialViewData>("replaceCredential", {
          ...byId(id),
          body,
          ...version("v", options.ifVersion),
        }),
      /** Changes some fields, keeping the others (a new version). */
      update: (id: string, body: ReplaceCredentialInput, options: { ifVersion?: number } = {}) =>
        call<CredentialViewData>("updateCredential", {
          ...byId(id),
          body,
          ...version("v", options.ifVersion),
        }),
      /** Deletes (recoverably where the store can, unless `purge`); `ifVersion` makes it conditional. */
      delete: (id: string, options: { purge?: boolean; ifVersion?: number } = {}) =>
        call<void>("deleteCredential", {
          ...byId(id),
          query: { purge: options.purge ? "true" : undefined },
          ...version("v", options.ifVersion),
        }),
      restore: (id: string) => call<CredentialViewData>("restoreCredential", byId(id)),
      test: (id: string, connector: string) =>
        call<TestResultData>("testCredential", { ...byId(id), body: { connector } }),
    },
    integrations: {
      list: (query: { cursor?: string; limit?: number } = {}) =>
        call<{ integrations: IntegrationViewData[]; cursor?: string }>("listIntegrations", { query }),
      create: (body: CreateIntegrationInput) => call<IntegrationViewData>("createIntegration", { body }),
      get: (id: string) => call<IntegrationViewData>("getIntegration", byId(id)),
      /** Changes name, configuration, references or key; `ifRevision` makes it conditional. */
      update: (id: string, body: UpdateIntegrationInput, options: { ifRevision?: number } = {}) =>
        call<IntegrationViewData>("updateIntegration", {
          ...byId(id),
          body,
          ...version("i", options.ifRevision),
        }),
      /** Each change below takes `ifRevision`, which makes it conditional (412 when stale). */
      delete: (id: string, options: Conditional = {}) =>
        call<void>("deleteIntegration", { ...byId(id), ...version("i", options.ifRevision) }),
      test: (id: string, options: Conditional = {}) =>
        call<TestResultData>("testIntegration", { ...byId(id), ...version("i", options.ifRevision) }),
      rotate: (id: string, body: RotateIntegrationInput, options: Conditional = {}) =>
        call<IntegrationViewData>("rotateIntegration", {
          ...byId(id),
          body,
          ...version("i", options.ifRevision),
        }),
      disable: (id: string, options: Conditional = {}) =>
        call<IntegrationViewData>("disableIntegration", { ...byId(id), ...version("i", options.ifRevision) }),
      enable: (id: string, options: Conditional = {}) =>
        call<IntegrationViewData>("enableIntegration", { ...byId(id), ...version("i", options.ifRevision) }),
      /** Configuration with secrets masked (`***key123`), and each secret's fingerprint. */
      credentials: (id: string) =>
        call<{ credentials: Record<string, unknown>; fingerprints?: Record<string, string> }>(
          "getIntegrationCredentials",
          byId(id),
        ),
    },
    connectors: {
      list: () => call<{ connectors: ConnectorViewData[] }>("listConnectors"),
      get: (id: string) => call<ConnectorViewData>("getConnector", byId(id)),
    },
    templates: {
      /** Named starting configurations (all, or one connector's). */
      list: (query: { connector?: string } = {}) =>
        call<{ templates: TemplateViewData[] }>("listTemplates", { query }),
      /** A new integration with the template's connector and configuration, `body`'s over it. */
      createIntegration: (id: string, body: CreateFromTemplateInput) =>
        call<IntegrationViewData>("createIntegrationFromTemplate", { ...byId(id), body }),
    },
    audit: {
      /** The tenant's recent audit events, newest first. */
      list: (query: { limit?: number } = {}) =>
        call<{ events: AuditEventData[] }>("listAuditEvents", { query }),
    },
  };
}

/** The client `createClient` returns. */
export type CredkitClient = ReturnType<typeof createClient>;
