/**
 * Creating, changing and deleting connection records, with the credentials the service owns for
 * them (option A secrets).
 */
import { randomBytes } from "node:crypto";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { ConnectionRecord, JsonValue, SecretReference } from "../connection-store.js";
import { initialState } from "../lifecycle.js";
import { checkComplete, checkInstanceName, splitConfiguration } from "./configuration.js";
import { announce, loadRecord, mutate, type ServiceContext, writeOptions } from "./context.js";
import { checkReference } from "./references.js";

/** Input of `create`. */
export interface CreateConnectionInput {
  /** @default a random id */
  id?: string;
  /** Connector id, e.g. `openai`. */
  connector: string;
  /** The name people give the connection, e.g. "My AI Assistant". */
  instanceName: string;
  /** Settings; secret fields found here are moved to the credential store (option A). */
  configuration?: Readonly<Record<string, unknown>>;
  /** References to stored secrets (option B). */
  secretsReferences?: Readonly<Record<string, SecretReference>>;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string;
}

/** Input of `update`: given keys replace, `null` removes. */
export interface UpdateConnectionInput {
  /** A new name for the connection. */
  instanceName?: string;
  /** Settings to change; secret-looking keys are moved to the credential store as on `create`. */
  configuration?: Readonly<Record<string, unknown>>;
  /** References to add or replace; `null` removes one. */
  secretsReferences?: Readonly<Record<string, SecretReference | null>>;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string;
}

/** The name of the credential the service creates for a connection's own secrets. */
export function ownedName(id: string): string {
  return `connector-${id}`;
}

function checkId(id: unknown): string {
  if (typeof id !== "string" || !/^[A-Za-z0-9_.:-]{1,100}$/.test(id)) {
    throw new ValidationError("A connection id must be 1-100 letters, digits, '_', '.', ':' or '-'.", "id");
  }
  return id;
}

/** Creates a connection (status `pending`). Secrets in `configuration` move to the credential store. */
export async function createConnection(
  context: ServiceContext,
  input: CreateConnectionInput,
): Promise<ConnectionRecord> {
  const spec = context.registry.spec(input.connector);
  checkInstanceName(input.instanceName);
  const id = checkId(input.id ?? `conn_${randomBytes(8).toString("hex")}`);
  if (await context.store.get(context.tenantId, id)) {
    throw new ConflictError(`Connection "${id}" already exists.`);
  }
  const { configuration, secrets } = splitConfiguration(spec, input.configuration ?? {});
  const references: Record<string, SecretReference> = {};
  for (const [key, ref] of Object.entries(input.secretsReferences ?? {})) {
    references[key] = checkReference(key, ref, context.manager.backend.name);
  }
  const owned = ownedName(id);
  const hasSecrets = Object.keys(secrets).length > 0;
  for (const field of Object.keys(secrets)) references[field] = { secret_name: owned, field };
  checkComplete(spec, configuration, references);
  if (hasSecrets) {
    await context.tenant.store(owned, secrets, { type: "custom", ...writeOptions(context, input.expiresAt) });
  }
  const now = context.now();
  const record: ConnectionRecord = {
    id,
    tenantId: context.tenantId,
    connector: spec.id,
    instanceName: input.instanceName,
    configuration,
    secretsReferences: references,
    ownedSecrets: hasSecrets ? [owned] : [],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    revision: 1,
    ...initialState(now),
  };
  await context.store.put(record, 0);
  announce(context, record, record.history[0]!);
  return record;
}

/** References after an update's changes, and whether the credentials changed. */
function changedReferences(
  context: ServiceContext,
  current: ConnectionRecord,
  changes: UpdateConnectionInput,
  secrets: Record<string, string | Secret>,
): { references: Record<string, SecretReference>; changed: boolean } {
  const references: Record<string, SecretReference> = { ...current.secretsReferences };
  let changed = false;
  for (const [key, ref] of Object.entries(changes.secretsReferences ?? {})) {
    if (ref === null) delete references[key];
    else references[key] = checkReference(key, ref, context.manager.backend.name);
    changed = true;
  }
  const owned = ownedName(current.id);
  for (const field of Object.keys(secrets)) references[field] = { secret_name: owned, field };
  return { references, changed };
}

/**
 * Changes a connection. New secret values (in `configuration`) become a new version of the
 * connection's own credential; changed secrets or references set the status back to `pending`.
 */
export async function updateConnection(
  context: ServiceContext,
  id: string,
  changes: UpdateConnectionInput,
): Promise<ConnectionRecord> {
  const current = await loadRecord(context, id);
  if (changes.instanceName !== undefined) checkInstanceName(changes.instanceName);
  const spec = context.registry.spec(current.connector);
  const entries = Object.entries(changes.configuration ?? {});
  const kept = Object.fromEntries(entries.filter(([, value]) => value !== null));
  const { configuration, secrets } = splitConfiguration(spec, kept);
  const { references, changed } = changedReferences(context, current, changes, secrets);
  const nextConfiguration: Record<string, JsonValue> = { ...current.configuration, ...configuration };
  for (const [key, value] of entries) if (value === null) delete nextConfiguration[key];
  checkComplete(spec, nextConfiguration, references);
  const owned = ownedName(current.id);
  const hasSecrets = Object.keys(secrets).length > 0;
  if (hasSecrets) {
    const write = { type: "custom" as const, ...writeOptions(context, changes.expiresAt) };
    if (current.ownedSecrets.includes(owned)) await context.tenant.update(owned, secrets, write);
    else await context.tenant.store(owned, secrets, write);
  }
  return mutate(context, id, (record) => ({
    record: {
      ...record,
      ...(changes.instanceName !== undefined ? { instanceName: changes.instanceName } : {}),
      configuration: nextConfiguration,
      secretsReferences: references,
      ownedSecrets:
        hasSecrets && !record.ownedSecrets.includes(owned)
          ? [...record.ownedSecrets, owned]
          : record.ownedSecrets,
    },
    ...((changed || hasSecrets) && record.status !== "disabled"
      ? {
          to: "pending" as const,
          reason: hasSecrets ? ("rotated" as const) : ("credentials_changed" as const),
        }
      : {}),
  }));
}

/**
 * Deletes a connection and the credentials the service created for it (option A). Referenced
 * secrets (option B) belong to the tenant and stay.
 */
export async function deleteConnection(context: ServiceContext, id: string): Promise<void> {
  const record = await loadRecord(context, id);
  for (const name of record.ownedSecrets) {
    try {
      await context.tenant.delete(
        name,
        context.options.actor !== undefined ? { actor: context.options.actor } : {},
      );
    } catch (error) {
      if (!NotFoundError.isInstance(error)) throw error;
    }
  }
  await context.store.delete(context.tenantId, id);
}
