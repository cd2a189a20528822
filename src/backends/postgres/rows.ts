/**
 * How a record sits in a row and comes back out: the metadata columns (checked by the record
 * guard on the way out, so an edited row is an `IntegrityError`), the payload's bytes and
 * encoding, and the list cursor.
 */
import type { BackendRecord, RecordMetadata } from "../../core/backend.js";
import { ValidationError } from "../../core/errors.js";
import { guardMetadata } from "../../kit/record-guard.js";
import { NAME } from "./errors.js";

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Columns of a record's metadata, as read from either table under `alias`. */
export const metadataColumns = (alias: string): string =>
  [
    `${alias}.tenant`,
    `${alias}.name`,
    `${alias}.credential_type`,
    `${alias}.key_id`,
    `${alias}.fingerprints`,
    `${alias}.masked`,
    `${iso(`${alias}.created_at`)} AS created_at`,
    `${iso(`${alias}.updated_at`)} AS updated_at`,
    `${alias}.created_by`,
    `${iso(`${alias}.expires_at`)} AS expires_at`,
  ].join(", ");

/** A credential row's metadata, version, status and key: what listing returns. */
export const LIST_COLUMNS = `${metadataColumns("r")}, r.version, r.deleted_at IS NOT NULL AS deleted, r.tenant_key, r.name_key`;

/** …and the payload: what a read returns. */
export const RECORD_SELECT = `SELECT ${LIST_COLUMNS}, r.encrypted_value, r.value_encoding`;

export interface MetadataRow {
  tenant: unknown;
  name: unknown;
  credential_type: unknown;
  key_id: unknown;
  fingerprints: unknown;
  masked: unknown;
  created_at: unknown;
  updated_at: unknown;
  created_by: string | null;
  expires_at: string | null;
}

export interface RecordRow extends MetadataRow {
  encrypted_value: Buffer;
  value_encoding: "base64" | "utf8";
  version: number;
  deleted: boolean;
  tenant_key: string;
  name_key: string;
}

/** A jsonb column as an object: pg parses it, unless a custom type parser hands back the text. */
function json(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The row's metadata, checked field by field. */
export function metadataOf(row: MetadataRow): RecordMetadata {
  const masked = json(row.masked);
  return guardMetadata(
    {
      tenant: row.tenant,
      name: row.name,
      type: row.credential_type,
      fingerprints: json(row.fingerprints),
      ...(masked !== null && masked !== undefined ? { masked } : {}),
      keyId: row.key_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(row.created_by !== null ? { createdBy: row.created_by } : {}),
      ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    },
    NAME,
    "A credentials row",
  );
}

export function recordOf(row: RecordRow): BackendRecord {
  const value =
    row.value_encoding === "base64"
      ? row.encrypted_value.toString("base64")
      : row.encrypted_value.toString("utf8");
  return { value, metadata: metadataOf(row), version: row.version };
}

/**
 * The payload's bytes: a canonical base64 string (an envelope) is stored decoded; anything else
 * (the plain codec's JSON) as UTF-8. `value_encoding` says which, so reads give back the string.
 */
export function payloadOf(value: string): { bytes: Buffer; encoding: "base64" | "utf8" } {
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0) {
    const bytes = Buffer.from(value, "base64");
    if (bytes.toString("base64") === value) return { bytes, encoding: "base64" };
  }
  return { bytes: Buffer.from(value, "utf8"), encoding: "utf8" };
}

/** Cursor: the last listed (tenant_key, name_key), base64url JSON. */
export function encodeCursor(row: { tenant_key: string; name_key: string }): string {
  return Buffer.from(JSON.stringify([row.tenant_key, row.name_key]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === "string")) {
      return parsed as [string, string];
    }
  } catch {
    // falls through to the error below
  }
  throw new ValidationError("The list cursor is not one this backend returned.", "cursor", { source: NAME });
}
