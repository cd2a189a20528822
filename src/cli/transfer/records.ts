/**
 * The records `credkit import` reads and `credkit export` writes, in JSON (an array), NDJSON (one
 * object a line) or `.env` (one variable per credential field, for one tenant). Parsing never
 * echoes a value: a bad line is reported by its number and the field at fault.
 */
import { parseEnv } from "node:util";
import { ValidationError } from "../../core/errors.js";

/** One credential as exported and imported. */
export interface TransferRecord {
  readonly tenantId: string;
  readonly connectionId: string;
  /** Credential type; absent: the manager's default (`custom`, or the stored type). */
  readonly type?: string;
  readonly fields: Readonly<Record<string, string>>;
  /**
   * The version these values were on the exporting store, when the export holds every version
   * (records of one credential then come oldest first). Import writes such a record only when the
   * target's latest version is older.
   */
  readonly version?: number;
  /** ISO 8601 expiry. */
  readonly expiresAt?: string;
}

/** A parsed input item: the record, or why it is unusable. */
export type ParsedItem = { readonly record: TransferRecord } | { readonly error: ValidationError };

/** The file formats. */
export type TransferFormat = "json" | "ndjson" | "env";

export const TRANSFER_FORMATS: readonly TransferFormat[] = ["json", "ndjson", "env"];

function checkRecord(value: unknown, where: string): TransferRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError(`${where}: not an object.`, "record");
  }
  const item = value as Record<string, unknown>;
  for (const field of ["tenantId", "connectionId"] as const) {
    if (typeof item[field] !== "string" || item[field] === "") {
      throw new ValidationError(`${where}: ${field} must be a non-empty string.`, field);
    }
  }
  const fields = item.fields;
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new ValidationError(`${where}: fields must be an object of strings.`, "fields");
  }
  for (const [name, text] of Object.entries(fields)) {
    if (typeof text !== "string")
      throw new ValidationError(`${where}: field "${name}" must be a string.`, name);
  }
  for (const field of ["type", "expiresAt"] as const) {
    if (item[field] !== undefined && typeof item[field] !== "string") {
      throw new ValidationError(`${where}: ${field} must be a string.`, field);
    }
  }
  if (item.version !== undefined && !(Number.isSafeInteger(item.version) && (item.version as number) >= 1)) {
    throw new ValidationError(`${where}: version must be a whole number from 1.`, "version");
  }
  return {
    tenantId: item.tenantId as string,
    connectionId: item.connectionId as string,
    fields: fields as Record<string, string>,
    ...(item.version !== undefined ? { version: item.version as number } : {}),
    ...(item.type !== undefined ? { type: item.type as string } : {}),
    ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt as string } : {}),
  };
}

function item(value: unknown, where: string): ParsedItem {
  try {
    return { record: checkRecord(value, where) };
  } catch (error) {
    return { error: error as ValidationError };
  }
}

function parseNdjson(text: string): ParsedItem[] {
  const items: ParsedItem[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      items.push(item(JSON.parse(line), `line ${index + 1}`));
    } catch {
      items.push({ error: new ValidationError(`line ${index + 1}: not valid JSON.`, "record") });
    }
  });
  return items;
}

function parseJson(text: string): ParsedItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError("The input is not valid JSON (an array of credential records).", "input");
  }
  if (!Array.isArray(parsed))
    throw new ValidationError("JSON input must be an array of credential records.", "input");
  return parsed.map((value, index) => item(value, `item ${index + 1}`));
}

function parseDotenv(text: string, tenantId: string | undefined): ParsedItem[] {
  if (tenantId === undefined) throw new ValidationError(".env input needs --tenant.", "tenant");
  return Object.entries(parseEnv(text)).map(([name, value]) => ({
    record: { tenantId, connectionId: name, fields: { value: value ?? "" } },
  }));
}

/** The format of `path` from its name: `.env` files, `.ndjson`/`.jsonl`, else JSON. */
export function formatOf(path: string): TransferFormat {
  if (/(^|[/\\])\.env(\.|$)|\.env$/.test(path)) return "env";
  if (/\.(ndjson|jsonl)$/.test(path)) return "ndjson";
  return "json";
}

/** Parses `text` in `format`; `tenantId` is the tenant of `.env` input. */
export function parseRecords(text: string, format: TransferFormat, tenantId?: string): ParsedItem[] {
  if (format === "env") return parseDotenv(text, tenantId);
  return format === "ndjson" ? parseNdjson(text) : parseJson(text);
}

/** A `.env` variable name for a credential field: upper case, `[A-Z0-9_]`. */
function variableName(connectionId: string, field: string, single: boolean): string {
  const name = single ? connectionId : `${connectionId}_${field}`;
  const cleaned = name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function dotenvValue(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
  return `"${escaped}"`;
}

/** Serialises records in `format` (`.env`: one tenant's, one variable per field). */
export function formatRecords(records: readonly TransferRecord[], format: TransferFormat): string {
  if (format === "ndjson") return records.map((record) => `${JSON.stringify(record)}\n`).join("");
  if (format === "json") return `${JSON.stringify(records, null, 2)}\n`;
  const tenants = new Set(records.map((record) => record.tenantId));
  if (tenants.size > 1) throw new ValidationError(".env output holds one tenant: add --tenant.", "tenant");
  return records
    .flatMap((record) => {
      const fields = Object.entries(record.fields);
      const single = fields.length === 1 && fields[0]?.[0] === "value";
      return fields.map(
        ([field, value]) => `${variableName(record.connectionId, field, single)}=${dotenvValue(value)}\n`,
      );
    })
    .join("");
}
