/**
 * What the API answers with: credential metadata (never values), integration records, connector
 * catalog entries. One function per shape, so every route answers alike.
 */
import type { ConnectionPage, ConnectionRecord } from "../connectors/connection-store.js";
import type { ConnectorSpec } from "../connectors/types.js";
import type { CredentialInfo } from "../core/credential-manager.js";
import type { ConnectorViewData, CredentialViewData, IntegrationViewData } from "./schemas.js";

/** A credential's metadata: names, fingerprints and (where recorded) masked forms; no values. */
export function credentialView(info: CredentialInfo): CredentialViewData {
  const masked = (info as { masked?: Readonly<Record<string, string>> }).masked;
  return {
    id: info.connectionId,
    type: info.type,
    version: info.version,
    status: info.status,
    fields: Object.keys(info.fingerprints).sort(),
    fingerprints: { ...info.fingerprints },
    ...(masked !== undefined ? { masked: { ...masked } } : {}),
    createdAt: info.createdAt.toISOString(),
    updatedAt: info.updatedAt.toISOString(),
    ...(info.createdBy !== undefined ? { createdBy: info.createdBy } : {}),
    ...(info.expiresAt !== undefined ? { expiresAt: info.expiresAt.toISOString() } : {}),
  };
}

/** An integration: configuration, where its secrets live, status and history. */
export function integrationView(record: ConnectionRecord): IntegrationViewData {
  const references: IntegrationViewData["secretsReferences"] = {};
  for (const [key, ref] of Object.entries(record.secretsReferences)) {
    references[key] = {
      secret_name: ref.secret_name,
      ...(ref.field !== undefined ? { field: ref.field } : {}),
      ...(ref.version !== undefined ? { version: ref.version } : {}),
    };
  }
  return {
    id: record.id,
    connector: record.connector,
    name: record.instanceName,
    status: record.status,
    statusReason: record.statusReason,
    configuration: { ...record.configuration },
    secretsReferences: references,
    ...(record.validatedAt !== undefined ? { validatedAt: record.validatedAt } : {}),
    ...(record.errorMessage !== undefined ? { errorMessage: record.errorMessage } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    revision: record.revision,
    history: record.history.map((step) => ({
      from: step.from,
      to: step.to,
      reason: step.reason,
      at: step.at,
      ...(step.message !== undefined ? { message: step.message } : {}),
    })),
  };
}

/** A catalog entry: what a setup form needs. */
export function connectorView(spec: ConnectorSpec): ConnectorViewData {
  const secrets = spec.fields.filter((field) => field.secret);
  const key = secrets.find((field) => field.required) ?? secrets[0];
  return {
    id: spec.id,
    displayName: spec.displayName,
    category: spec.category,
    description: spec.description,
    credentialType: secrets.length === 1 && /key$/i.test(secrets[0]!.name) ? "api_key" : "custom",
    requiredFields: spec.fields.filter((field) => field.required).map((field) => field.name),
    ...(key?.pattern !== undefined ? { keyFormat: key.pattern } : {}),
    fields: spec.fields.map((field) => ({
      name: field.name,
      label: field.label,
      secret: field.secret,
      required: field.required,
      ...(field.pattern !== undefined ? { pattern: field.pattern } : {}),
      ...(field.example !== undefined ? { example: field.example } : {}),
      ...(field.description !== undefined ? { description: field.description } : {}),
    })),
    docsUrl: spec.docsUrl,
  };
}

/** Rendered listings by page object: a cached page is frozen and reused until a write replaces it. */
const renderedPages = new WeakMap<ConnectionPage, string>();

/**
 * A page of integrations as the listing's JSON text. A frozen page (the connection store's
 * listing cache hands out the same frozen page until a write drops it) is rendered once.
 */
export function integrationListJson(page: ConnectionPage): string {
  const rendered = renderedPages.get(page);
  if (rendered !== undefined) return rendered;
  const json = JSON.stringify({
    integrations: page.items.map(integrationView),
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  });
  if (Object.isFrozen(page)) renderedPages.set(page, json);
  return json;
}
