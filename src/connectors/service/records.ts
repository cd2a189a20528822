/**
 * Creating, changing and deleting connection records, with the credentials the service owns for
 * them (option A secrets).
 */
import { randomBytes } from "node:crypto";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import { reservedName } from "../../core/system-records.js";
import type { ConnectionRecord, JsonValue, SecretReference } from "../connection-store.js";
import { initialState } from "../lifecycle.js";
import { checkComplete, checkInstanceName, splitConfiguration } from "./configuration.js";
import {
  announce,
  loadRecord,
  mutate,
  type RecordChange,
  type ServiceContext,
  writeOptions,
} from "./context.js";
import { checkReferences, OWNED_SECRETS_NAMESPACE } from "./reference-policy.js";
import { checkReference } from "./references.js";

/** Input of `create`. */
export interface CreateConnectionInput {
  /** @default a random id */
  id?: string | undefined;
  /** Connector id, e.g. `openai`. */
  connector: string;
  /** The name people give the connection, e.g. "My AI Assistant". */
  instanceName: string;
  /** Settings; secret fields found here are moved to the credential store (option A). */
  configuration?: Readonly<Record<string, unknown>> | undefined;
  /** References to stored secrets (option B). */
  secretsReferences?: Readonly<Record<string, SecretReference>> | undefined;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string | undefined;
}

/** Input of `update`: given keys replace, `null` removes. */
export interface UpdateConnectionInput {
  /** A new name for the connection. */
  instanceName?: string | undefined;
  /** Settings to change; secret-looking keys are moved to the credential store as on `create`. */
  configuration?: Readonly<Record<string, unknown>> | undefined;
  /** References to add or replace; `null` removes one. */
  secretsReferences?: Readonly<Record<string, SecretReference | null>> | undefined;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string | undefined;
}

/**
 * A fresh name for a credential the service creates for connection `id`: reserved (no tenant
 * credential can take it, `listCredentials` does not show it) and unique per write, so a
 * concurrent creator or a reused id never meets an old secret.
 */
export function newOwnedName(id: string): string {
  return reservedName(OWNED_SECRETS_NAMESPACE, `${id}:${randomBytes(8).toString("hex")}`);
}

/** Removes an owned credential for good; one that is already gone is fine. */
export async function purgeOwned(context: ServiceContext, name: string): Promise<void> {
  try {
    await context.tenantCredentials.purge(
      name,
      context.options.actor !== undefined ? { actor: context.options.actor } : {},
    );
  } catch (error) {
    if (!NotFoundError.isInstance(error)) throw error;
  }
}

/** Writes a new owned credential, only if absent (compare-and-set on version 0). */
async function storeOwned(
  context: ServiceContext,
  name: string,
  secrets: Record<string, string | Secret>,
  expiresAt: Date | string | undefined,
): Promise<void> {
  await context.tenantCredentials.store(name, secrets, {
    type: "custom",
    ifVersion: 0,
    ...writeOptions(context, expiresAt),
  });
}

function checkId(id: unknown): string {
  if (typeof id !== "string" || !/^[A-Za-z0-9_.:-]{1,100}$/.test(id)) {
    throw new ValidationError("A connection id must be 1-100 letters, digits, '_', '.', ':' or '-'.", "id");
  }
  return id;
}

/** The record of a new connection, checked: complete, references allowed. */
function newRecord(
  context: ServiceContext,
  input: CreateConnectionInput,
  id: string,
  owned: string | undefined,
) {
  const spec = context.registry.spec(input.connector);
  checkInstanceName(input.instanceName);
  const { configuration, secrets } = splitConfiguration(spec, input.configuration ?? {});
  const references: Record<string, SecretReference> = {};
  for (const [key, ref] of Object.entries(input.secretsReferences ?? {})) {
    references[key] = checkReference(key, ref, context.manager.backend.name);
  }
  const ownedSecrets = owned && Object.keys(secrets).length > 0 ? [owned] : [];
  for (const field of Object.keys(secrets)) references[field] = { secret_name: owned as string, field };
  checkComplete(spec, configuration, references);
  const now = context.now();
  const record: ConnectionRecord = {
    id,
    tenantId: context.tenantId,
    connector: spec.id,
    instanceName: input.instanceName,
    configuration,
    secretsReferences: references,
    ownedSecrets,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    revision: 1,
    ...initialState(now),
  };
  checkReferences(record, context.options.referencePolicy);
  return { record, secrets };
}

/**
 * Creates a connection (status `pending`). Secrets in `configuration` move to a credential the
 * connection owns, created only if absent; the record is written only if absent. Of concurrent
 * creators of one id exactly one wins, and its connection resolves its own secrets; a loser's
 * owned credential is purged and it gets `ConflictError`.
 */
export async function createConnection(
  context: ServiceContext,
  input: CreateConnectionInput,
): Promise<ConnectionRecord> {
  const id = checkId(input.id ?? `conn_${randomBytes(8).toString("hex")}`);
  const owned = newOwnedName(id);
  const { record, secrets } = newRecord(context, input, id, owned);
  if (await context.store.get(context.tenantId, id))
    throw new ConflictError(`Connection "${id}" already exists.`);
  if (record.ownedSecrets.length > 0) await storeOwned(context, owned, secrets, input.expiresAt);
  try {
    await context.store.put(record, 0);
  } catch (error) {
    if (record.ownedSecrets.length > 0) await purgeOwned(context, owned);
    if (ConflictError.isInstance(error))
      throw new ConflictError(`Connection "${id}" already exists.`, 0, { cause: error });
    throw error;
  }
  announce(context, record, record.history[0]!);
  return record;
}

/** References after an update's changes, and whether the credentials changed. */
function changedReferences(
  context: ServiceContext,
  current: ConnectionRecord,
  changes: UpdateConnectionInput,
  secrets: Record<string, string | Secret>,
  owned: string,
): { references: Record<string, SecretReference>; changed: boolean } {
  const references: Record<string, SecretReference> = { ...current.secretsReferences };
  let changed = false;
  for (const [key, ref] of Object.entries(changes.secretsReferences ?? {})) {
    if (ref === null) delete references[key];
    else references[key] = checkReference(key, ref, context.manager.backend.name);
    changed = true;
  }
  for (const field of Object.keys(secrets)) references[field] = { secret_name: owned, field };
  return { references, changed };
}

/** The record after an update, with the transition it causes. */
function updated(
  record: ConnectionRecord,
  changes: UpdateConnectionInput,
  next: Pick<ConnectionRecord, "configuration" | "secretsReferences" | "ownedSecrets">,
  credentialsChanged: boolean,
  rotated: boolean,
): RecordChange {
  return {
    record: {
      ...record,
      ...(changes.instanceName !== undefined ? { instanceName: changes.instanceName } : {}),
      ...next,
    },
    ...(credentialsChanged && record.status !== "disabled"
      ? { to: "pending" as const, reason: rotated ? ("rotated" as const) : ("credentials_changed" as const) }
      : {}),
  };
}

/**
 * Changes a connection. New secret values (in `configuration`) become a new version of the
 * connection's own credential (created, only if absent, when it has none yet); changed secrets or
 * references set the status back to `pending`.
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
  const { configuration, secrets } = splitConfiguration(
    spec,
    Object.fromEntries(entries.filter(([, value]) => value !== null)),
  );
  const hasSecrets = Object.keys(secrets).length > 0;
  const existing = current.ownedSecrets[0];
  const owned = existing ?? newOwnedName(current.id);
  const { references, changed } = changedReferences(context, current, changes, secrets, owned);
  const nextConfiguration: Record<string, JsonValue> = { ...current.configuration, ...configuration };
  for (const [key, value] of entries) if (value === null) delete nextConfiguration[key];
  checkComplete(spec, nextConfiguration, references);
  const ownedSecrets = hasSecrets && !existing ? [owned] : current.ownedSecrets;
  checkReferences(
    { ...current, secretsReferences: references, ownedSecrets },
    context.options.referencePolicy,
  );
  if (hasSecrets && existing) {
    await context.tenantCredentials.update(owned, secrets, {
      type: "custom",
      ...writeOptions(context, changes.expiresAt),
    });
  } else if (hasSecrets) {
    await storeOwned(context, owned, secrets, changes.expiresAt);
  }
  const next = { configuration: nextConfiguration, secretsReferences: references, ownedSecrets };
  try {
    return await mutate(context, id, (record) =>
      updated(record, changes, next, changed || hasSecrets, hasSecrets),
    );
  } catch (error) {
    if (hasSecrets && !existing) await purgeOwned(context, owned);
    throw error;
  }
}

/**
 * Deletes a connection and purges the credentials the service created for it (option A), every
 * version, so a reused id can never reach them. Referenced secrets (option B) belong to the
 * tenant and stay.
 */
export async function deleteConnection(context: ServiceContext, id: string): Promise<void> {
  const record = await loadRecord(context, id);
  for (const name of record.ownedSecrets) await purgeOwned(context, name);
  await context.store.delete(context.tenantId, id);
}
