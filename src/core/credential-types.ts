/**
 * The credential types (`api_key`, `oauth`, …), each with a field schema and validation.
 * Validation errors name the field and never echo its value.
 */
import { ValidationError } from "./errors.js";
import { FieldNameIndex } from "./field-names.js";
import { Secret } from "./secret.js";

export const CREDENTIAL_TYPES = [
  "api_key",
  "bearer_token",
  "http_basic",
  "ssh",
  "db_dsn",
  "service_account",
  "oauth",
  "custom",
] as const;

/** One of the credential types credkit knows. */
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** A credential as the caller hands it in: field name → plain string or `Secret`. */
export type CredentialInput = Readonly<Record<string, string | Secret>>;

interface FieldRule {
  required?: boolean | undefined;
  /** Checks the plain value; returns a reason (never containing the value) when it is bad. */
  check?: (value: string) => string | undefined;
}

interface TypeSchema {
  fields: Record<string, FieldRule>;
  /** Whether fields beyond `fields` are allowed. */
  open: boolean;
  /** A rule spanning fields, e.g. "password or privateKey". Returns [field, reason] on failure. */
  check?: (fields: Record<string, string>) => [string, string] | undefined;
}

const SERVICE_ACCOUNT_FIELDS = ["type", "project_id", "private_key", "client_email"] as const;

function checkServiceAccount(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return "must be a service-account JSON document";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "must be a JSON object";
  }
  const document = parsed as Record<string, unknown>;
  const missing = SERVICE_ACCOUNT_FIELDS.filter(
    (field) => typeof document[field] !== "string" || document[field] === "",
  );
  if (missing.length > 0) return `is missing required field(s): ${missing.join(", ")}`;
  if (document.type !== "service_account") return 'must have "type": "service_account"';
  return undefined;
}

function checkDsn(value: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
    ? undefined
    : "must be a connection URL such as postgres://host/db";
}

function checkIsoDate(value: string): string | undefined {
  return Number.isNaN(Date.parse(value)) ? "must be an ISO 8601 date" : undefined;
}

const SCHEMAS: Record<CredentialType, TypeSchema> = {
  api_key: { fields: { apiKey: { required: true } }, open: true },
  bearer_token: { fields: { token: { required: true } }, open: true },
  http_basic: {
    fields: { username: { required: true }, password: { required: true } },
    open: false,
  },
  ssh: {
    fields: { username: { required: true }, host: {}, password: {}, privateKey: {}, passphrase: {} },
    open: false,
    check: (fields) =>
      fields.password || fields.privateKey ? undefined : ["password", "needs a password or a privateKey"],
  },
  db_dsn: { fields: { dsn: { required: true, check: checkDsn } }, open: false },
  service_account: { fields: { json: { required: true, check: checkServiceAccount } }, open: false },
  oauth: {
    fields: {
      accessToken: { required: true },
      refreshToken: {},
      expiresAt: { check: checkIsoDate },
      tokenType: {},
      scope: {},
    },
    open: true,
  },
  custom: { fields: {}, open: true },
};

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_FIELD_NAME_LENGTH = 128;
const MAX_FIELDS = 64;
/** The largest value a credential field may hold, in bytes of UTF-8. */
export const MAX_VALUE_BYTES = 64 * 1024;

/** Each type's schema field names, found by any spelling under the folding rule. */
const FIELD_INDEXES = Object.fromEntries(
  CREDENTIAL_TYPES.map((type) => [type, new FieldNameIndex(Object.keys(SCHEMAS[type].fields))]),
) as Record<CredentialType, FieldNameIndex>;

function labelText(label: string): string {
  return label.startsWith("#") ? label : `"${label}"`;
}

/** Field names each type requires or allows, for documentation and UIs. */
export function describeCredentialType(type: CredentialType): {
  required: string[];
  optional: string[];
  open: boolean;
} {
  const schema = SCHEMAS[type];
  const entries = Object.entries(schema.fields);
  return {
    required: entries.filter(([, rule]) => rule.required).map(([name]) => name),
    optional: entries.filter(([, rule]) => !rule.required).map(([name]) => name),
    open: schema.open,
  };
}

export function isCredentialType(value: unknown): value is CredentialType {
  return typeof value === "string" && (CREDENTIAL_TYPES as readonly string[]).includes(value);
}

/**
 * Validates a credential against its type and returns its plain fields in a null-prototype
 * object. Field names that spell a schema field another way (`api_key` for `apiKey`, see
 * `foldFieldName`) are stored under the schema's name. Throws `ValidationError` naming the field;
 * never includes a value in the message, and names a field the schema does not define only by
 * its position (`#3`), since a caller may pass a secret as a field name by mistake.
 */
export function validateCredential(type: string, input: unknown): Record<string, string> {
  if (!isCredentialType(type)) {
    throw new ValidationError(
      `Unknown credential type. Valid types: ${CREDENTIAL_TYPES.join(", ")}.`,
      "type",
    );
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError("Credentials must be an object of field name to string.");
  }
  const names = Reflect.ownKeys(input);
  if (names.length === 0) throw new ValidationError("Credentials must have at least one field.");
  if (names.length > MAX_FIELDS) {
    throw new ValidationError(`Credentials may have at most ${MAX_FIELDS} fields.`);
  }
  const fields: Record<string, string> = Object.create(null);
  for (const [index, name] of names.entries()) {
    if (typeof name !== "string") throw new ValidationError("Field names must be strings.");
    const { stored, label } = fieldName(type, name, index);
    if (Object.hasOwn(fields, stored)) {
      throw new ValidationError(
        `Field ${labelText(label)} is given more than once (in different spellings).`,
        label,
      );
    }
    fields[stored] = fieldValue((input as Record<string, unknown>)[name], label);
  }
  checkSchema(type, fields);
  return fields;
}

/**
 * The name a field is stored under (the schema's own spelling, or the name as given) and the
 * label errors use for it (the schema name, or the position of a name the schema does not define).
 */
function fieldName(type: CredentialType, name: string, index: number): { stored: string; label: string } {
  if (FORBIDDEN_KEYS.has(name)) throw new ValidationError(`Field name "${name}" is not allowed.`, name);
  const canonical = FIELD_INDEXES[type].canonical(name);
  if (canonical !== undefined) return { stored: canonical, label: canonical };
  const label = `#${index + 1}`;
  if (name.length === 0 || name.length > MAX_FIELD_NAME_LENGTH) {
    throw new ValidationError(
      `Field names must be 1 to ${MAX_FIELD_NAME_LENGTH} characters (field ${label}).`,
      label,
    );
  }
  if (!SCHEMAS[type].open) {
    const allowed = Object.keys(SCHEMAS[type].fields).join(", ");
    throw new ValidationError(
      `Field ${label} is not part of a ${type} credential. Allowed: ${allowed}.`,
      label,
    );
  }
  return { stored: name, label };
}

/** The plain value of one field: a string or a `Secret`, within the size limit. */
function fieldValue(raw: unknown, label: string): string {
  const value = raw instanceof Secret ? raw.reveal() : raw;
  if (typeof value !== "string") {
    throw new ValidationError(`Field ${labelText(label)} must be a string or a Secret.`, label);
  }
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) {
    throw new ValidationError(`Field ${labelText(label)} is larger than ${MAX_VALUE_BYTES} bytes.`, label);
  }
  return value;
}

/** Required fields, per-field checks and the type's cross-field rule. */
function checkSchema(type: CredentialType, fields: Record<string, string>): void {
  const schema = SCHEMAS[type];
  for (const [name, rule] of Object.entries(schema.fields)) {
    const value = fields[name];
    if (value === undefined || value === "") {
      if (rule.required) {
        throw new ValidationError(`Field "${name}" is required for a ${type} credential.`, name);
      }
      continue;
    }
    const reason = rule.check?.(value);
    if (reason) throw new ValidationError(`Field "${name}" ${reason}.`, name);
  }
  const failure = schema.check?.(fields);
  if (failure) throw new ValidationError(`Field "${failure[0]}" ${failure[1]}.`, failure[0]);
}

/**
 * `current` with `changes` applied, where a change replaces the current field it names under the
 * type's folding rule (`api_key` replaces a stored `apiKey`).
 */
export function mergeCredentialFields(
  type: CredentialType,
  current: Readonly<Record<string, string>>,
  changes: CredentialInput,
): Record<string, string | Secret> {
  const index = FIELD_INDEXES[type];
  const replaced = new Set(Object.keys(changes).map((name) => index.canonical(name) ?? name));
  const merged: Record<string, string | Secret> = Object.create(null);
  for (const [name, value] of Object.entries(current)) {
    if (!replaced.has(index.canonical(name) ?? name)) merged[name] = value;
  }
  return Object.assign(merged, changes);
}
