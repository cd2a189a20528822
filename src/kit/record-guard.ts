/**
 * The one check of stored-record metadata read back from a store. Whatever a store holds may have
 * been edited by anyone with access to it, so metadata is validated field by field before the core
 * sees it: a malformed record is an `IntegrityError` naming the field, never a blind cast. Fields
 * the guard does not know are kept as they are, so a newer writer's metadata round-trips.
 */
import type { RecordMetadata } from "../core/backend.js";
import { IntegrityError } from "../core/errors.js";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isStringMap(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every((entry) => typeof entry === "string");
}

function isTime(value: unknown): boolean {
  return typeof value === "string" && Number.isFinite(Date.parse(value));
}

/** Each metadata field and what it must hold; `optional` fields may be absent. */
const FIELDS: ReadonlyArray<{ name: keyof RecordMetadata; optional?: true; valid(value: unknown): boolean }> =
  [
    { name: "tenant", valid: (value) => typeof value === "string" },
    { name: "name", valid: (value) => typeof value === "string" },
    { name: "type", valid: (value) => typeof value === "string" && value !== "" },
    { name: "fingerprints", valid: isStringMap },
    { name: "masked", optional: true, valid: isStringMap },
    { name: "keyId", valid: (value) => value === null || typeof value === "string" },
    { name: "createdAt", valid: isTime },
    { name: "updatedAt", valid: isTime },
    { name: "createdBy", optional: true, valid: (value) => typeof value === "string" },
    { name: "expiresAt", optional: true, valid: isTime },
  ];

/** The first metadata field that is missing or malformed, or undefined when `value` is well-formed. */
export function metadataFault(value: unknown): string | undefined {
  if (!isPlainObject(value)) return "metadata";
  for (const field of FIELDS) {
    const entry = value[field.name];
    if (entry === undefined && field.optional) continue;
    if (!field.valid(entry)) return field.name;
  }
  return undefined;
}

/** True when `value` is well-formed record metadata. */
export function isRecordMetadata(value: unknown): value is RecordMetadata {
  return metadataFault(value) === undefined;
}

/**
 * `value` as record metadata, or an `IntegrityError` naming the malformed field. `where` says
 * which stored thing held it ("a Key Vault secret"), for the message; `source` is the backend.
 */
export function guardMetadata(value: unknown, source: string, where: string): RecordMetadata {
  const fault = metadataFault(value);
  if (fault === undefined) return value as RecordMetadata;
  throw new IntegrityError(`${where} holds malformed credkit metadata (field \`${fault}\`).`, { source });
}

/** A stored version number: a positive safe integer, else an `IntegrityError`. */
export function guardVersion(value: unknown, source: string, where: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  throw new IntegrityError(`${where} holds a malformed credkit version number.`, { source });
}
