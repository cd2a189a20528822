/** Rotating a connection's secrets and checking their expiry from metadata. */
import { ValidationError } from "../../core/errors.js";
import { foldFieldName } from "../../core/field-names.js";
import type { Secret } from "../../core/secret.js";
import type { ConnectionRecord } from "../connection-store.js";
import { loadRecord, mutate, type ServiceContext, writeOptions } from "./context.js";
import { secretNames } from "./references.js";

/** The writes a rotation makes: secret name → fields to change. */
function rotationWrites(
  record: ConnectionRecord,
  values: Readonly<Record<string, string | Secret>>,
): Map<string, Record<string, string | Secret>> {
  const writes = new Map<string, Record<string, string | Secret>>();
  for (const [key, value] of Object.entries(values)) {
    const entry = Object.entries(record.secretsReferences).find(
      ([name]) => foldFieldName(name) === foldFieldName(key),
    );
    if (!entry) throw new ValidationError(`Connection "${record.id}" has no secret field "${key}".`, key);
    const [refKey, ref] = entry;
    if (ref.version !== undefined) {
      throw new ValidationError(
        `Secret reference "${refKey}" is pinned to a version; change the reference instead.`,
        refKey,
      );
    }
    const fields = writes.get(ref.secret_name) ?? {};
    fields[ref.field ?? refKey] = value;
    writes.set(ref.secret_name, fields);
  }
  return writes;
}

/**
 * Rotates the connection's secrets: new values for the given fields, written as new versions
 * of the credentials they live in. Sets the status back to `pending` until the next test.
 */
export async function rotateConnection(
  context: ServiceContext,
  id: string,
  values: Readonly<Record<string, string | Secret>>,
  options: { expiresAt?: Date | string },
): Promise<ConnectionRecord> {
  const record = await loadRecord(context, id);
  for (const [name, fields] of rotationWrites(record, values)) {
    await context.tenantCredentials.update(name, fields, writeOptions(context, options.expiresAt));
  }
  return mutate(context, id, (current) => ({
    record: current,
    ...(current.status !== "disabled" ? { to: "pending" as const, reason: "rotated" as const } : {}),
  }));
}

/**
 * Checks the expiry of the connection's secrets from their metadata (values are not read):
 * a secret past its expiry → `expired`; an expired connection whose secrets were renewed →
 * `pending`.
 */
export async function checkConnectionExpiry(context: ServiceContext, id: string): Promise<ConnectionRecord> {
  const record = await loadRecord(context, id);
  const infos = await Promise.all(
    secretNames(record).map((name) => context.tenantCredentials.describe(name)),
  );
  const expired = infos.find((info) => info.status === "expired");
  return mutate(context, id, (current) => {
    if (expired && current.status !== "expired" && current.status !== "disabled") {
      return {
        record: current,
        to: "expired",
        reason: "expired",
        message: `Secret "${expired.connectionId}" expired at ${expired.expiresAt?.toISOString()}`,
      };
    }
    if (!expired && current.status === "expired")
      return { record: current, to: "pending", reason: "credentials_changed" };
    return { record: current };
  });
}
