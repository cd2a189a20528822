/**
 * The request and response schemas of the HTTP API (zod 4). Requests are validated with them and
 * the OpenAPI document is generated from them, so the two cannot drift apart.
 */
import { z } from "zod";

/** A credential name in a path: 1-200 characters, no control characters. */
export const CredentialId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\P{Cc}+$/u, "must not contain control characters");

/** An integration id: 1-100 letters, digits, `_`, `.`, `:` or `-` (the connector service's rule). */
export const IntegrationId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, "must be 1-100 letters, digits, '_', '.', ':' or '-'");

/** A connector id, e.g. `openai`. */
export const ConnectorId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'");

/** Secret values going in: field name → value. Never returned. */
const SecretValues = z
  .record(z.string().min(1).max(100), z.string().min(1).max(65_536))
  .refine(
    (values) => Object.keys(values).length > 0 && Object.keys(values).length <= 50,
    "must have 1-50 fields",
  );

/** A JSON value (the body was parsed from JSON, so every value is one). */
const JsonValue = z.unknown();

const Configuration = z.record(z.string().min(1).max(100), JsonValue);
const Expiry = z.iso.datetime({ offset: true });

const CredentialType = z.string().min(1).max(40);

export const CreateCredentialBody = z.strictObject({
  /** The credential's name (its `connectionId`). */
  id: CredentialId,
  type: CredentialType.optional(),
  values: SecretValues,
  expiresAt: Expiry.optional(),
});

export const ReplaceCredentialBody = z.strictObject({
  type: CredentialType.optional(),
  values: SecretValues,
  expiresAt: Expiry.optional(),
});

export const TestCredentialBody = z.strictObject({ connector: ConnectorId });

const Reference = z.strictObject({
  secret_name: CredentialId,
  field: z.string().min(1).max(100).optional(),
  version: z.int().min(1).optional(),
  backend: z.string().min(1).max(40).optional(),
});

export const CreateIntegrationBody = z.strictObject({
  id: IntegrationId.optional(),
  connector: ConnectorId,
  name: z.string().trim().min(1).max(200),
  configuration: Configuration.optional(),
  /** Secret values (e.g. `{ "api_key": "…" }`), moved to the credential store. */
  credentials: SecretValues.optional(),
  secretsReferences: z.record(z.string().min(1).max(100), Reference).optional(),
  expiresAt: Expiry.optional(),
});

export const UpdateIntegrationBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  /** Settings to change; `null` removes one. */
  configuration: z.record(z.string().min(1).max(100), JsonValue).optional(),
  /** New secret values, written as a new version of the integration's own credential. */
  credentials: SecretValues.optional(),
  secretsReferences: z.record(z.string().min(1).max(100), Reference.nullable()).optional(),
});

export const RotateIntegrationBody = z.strictObject({
  credentials: SecretValues,
  expiresAt: Expiry.optional(),
});

export const DeleteQuery = z.object({ purge: z.enum(["true", "false"]).optional() });
export const ListQuery = z.object({
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

// ------------------------------------------------------------------ responses

export const CredentialView = z.object({
  id: z.string(),
  type: z.string(),
  version: z.int(),
  status: z.enum(["active", "expired", "deleted"]),
  /** Field names of the credential. */
  fields: z.array(z.string()),
  /** Field name → fingerprint: tells values apart without revealing them. */
  fingerprints: z.record(z.string(), z.string()),
  /** Field name → masked form (`***key123`), where the store recorded one. */
  masked: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string().optional(),
  expiresAt: z.string().optional(),
});

export const CredentialList = z.object({
  credentials: z.array(CredentialView),
  cursor: z.string().optional(),
});

const Status = z.enum(["pending", "validating", "active", "error", "disabled", "expired"]);

export const IntegrationView = z.object({
  id: z.string(),
  connector: z.string(),
  name: z.string(),
  status: Status,
  statusReason: z.string(),
  configuration: z.record(z.string(), z.unknown()),
  /** Reference key → where the secret lives (names only, never values). */
  secretsReferences: z.record(
    z.string(),
    z.object({ secret_name: z.string(), field: z.string().optional(), version: z.int().optional() }),
  ),
  validatedAt: z.string().optional(),
  errorMessage: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revision: z.int(),
  history: z.array(
    z.object({
      from: Status.nullable(),
      to: Status,
      reason: z.string(),
      at: z.string(),
      message: z.string().optional(),
    }),
  ),
});

export const IntegrationList = z.object({
  integrations: z.array(IntegrationView),
  cursor: z.string().optional(),
});

export const MaskedCredentials = z.object({
  credentials: z.record(z.string(), z.unknown()),
  /** Secret reference → keyed fingerprint of its current value (tells keys apart, reveals nothing). */
  fingerprints: z.record(z.string(), z.string()).optional(),
});

export const TestResult = z.object({
  success: z.boolean(),
  status: z.enum(["active", "error", "expired"]),
  code: z.string().optional(),
  error: z.string().optional(),
  details: z.object({
    latencyMs: z.number(),
    models: z.array(z.string()).optional(),
    httpStatus: z.int().optional(),
    remainingCredits: z.number().optional(),
    identity: z.record(z.string(), z.string()).optional(),
  }),
  testedAt: z.string(),
});

const FieldView = z.object({
  name: z.string(),
  label: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
  pattern: z.string().optional(),
  example: z.string().optional(),
  description: z.string().optional(),
});

export const ConnectorView = z.object({
  id: z.string(),
  displayName: z.string(),
  category: z.string(),
  description: z.string(),
  /** `api_key` when the connector takes one secret, else `custom`. */
  credentialType: z.string(),
  /** Names of the required fields. */
  requiredFields: z.array(z.string()),
  /** The format of the key, as a regular expression source, where the connector declares one. */
  keyFormat: z.string().optional(),
  fields: z.array(FieldView),
  docsUrl: z.string(),
});

export const ConnectorList = z.object({ connectors: z.array(ConnectorView) });

/** A template id, e.g. `openai-cheap-chat`. */
export const TemplateId = z
  .string()
  .regex(/^[a-z0-9-]{1,100}$/, "must be 1-100 lowercase letters, digits or '-'");

/** A named starting configuration for a connector (settings only, never a secret). */
export const TemplateView = z.object({
  id: z.string(),
  connector: z.string(),
  name: z.string(),
  description: z.string(),
  configuration: z.record(z.string(), z.string()),
});

export const TemplateList = z.object({ templates: z.array(TemplateView) });

/** `POST /templates/{id}/integrations`: an integration's body without the connector (the template's). */
export const CreateFromTemplateBody = CreateIntegrationBody.omit({ connector: true });

export const AuditEventView = z.object({
  time: z.string(),
  action: z.string(),
  outcome: z.enum(["success", "failure"]),
  /** Who acted (the `actor` of a write, the accessor of a read). */
  accessor: z.string(),
  /** The credential's name; absent for tenant-wide actions such as `list`. */
  name: z.string().optional(),
  version: z.int().optional(),
  cache: z.string().optional(),
  errorCode: z.string().optional(),
  /** For a brokered connector's call (action `call`): what was sent (path without query) and how it went. */
  call: z
    .object({
      provider: z.string(),
      method: z.string(),
      path: z.string(),
      status: z.int(),
      latencyMs: z.number(),
      keySource: z.enum(["tenant", "platform"]),
      retried: z.boolean().optional(),
    })
    .optional(),
});

export const AuditList = z.object({ events: z.array(AuditEventView) });

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.string(),
  field: z.string().optional(),
});

export type CreateCredentialInput = z.input<typeof CreateCredentialBody>;
export type ReplaceCredentialInput = z.input<typeof ReplaceCredentialBody>;
export type CreateIntegrationInput = z.input<typeof CreateIntegrationBody>;
export type UpdateIntegrationInput = z.input<typeof UpdateIntegrationBody>;
export type RotateIntegrationInput = z.input<typeof RotateIntegrationBody>;
export type CredentialViewData = z.output<typeof CredentialView>;
export type IntegrationViewData = z.output<typeof IntegrationView>;
export type TestResultData = z.output<typeof TestResult>;
export type ConnectorViewData = z.output<typeof ConnectorView>;
export type TemplateViewData = z.output<typeof TemplateView>;
export type CreateFromTemplateInput = z.input<typeof CreateFromTemplateBody>;
export type AuditEventData = z.output<typeof AuditEventView>;
