/**
 * Option A: a connection's configuration is split into plain settings (kept in the record) and
 * secret values (moved to the credential store and replaced by references). A value is secret
 * by its own name (`api_key`, `clientSecret`, `auth`, `pwd`, `dsn`, `cookie`…), by a parent's
 * name (`secrets: { openai }`, `credentials: { primary }`, `headers: { Authorization }`), by a
 * URL's userinfo or query (`https://user:pass@host`, `?api_key=`), or by its shape (a known key
 * prefix, a JWT, a PEM private key). A top-level string that is secret by name or shape is moved;
 * everything else that looks secret is refused with a `ValidationError` naming the field. No
 * secret is ever kept in configuration.
 */
import { ValidationError } from "../../core/errors.js";
import { containsKeyShape, urlCredential } from "../../core/key-shapes.js";
import { Secret } from "../../core/secret.js";
import type { JsonValue, SecretReference } from "../connection-store.js";
import { findField } from "../define.js";
import type { ConnectorSpec } from "../types.js";

/** The documented bounds of a connection's settings. */
export const CONFIGURATION_LIMITS = Object.freeze({
  /** Characters of `instanceName`. */
  instanceNameLength: 200,
  /** Characters of `configuration` as JSON (secret values moved out are not counted); a connection record is stored whole, in at most 32 KiB. */
  configurationSize: 16 * 1024,
  /** Nesting levels of objects and arrays in `configuration`. */
  configurationDepth: 10,
  /** Characters of a configuration key. */
  keyLength: 100,
});

/** A word ending like this marks a name as secret (`api_key`, `clientSecret`, `apiKeys`). */
const SECRET_SUFFIX = /(key|keys|secret|secrets|token|password|passwd|passphrase|credential|credentials)$/;
/** A word that is exactly one of these marks a name as secret. */
const SECRET_WORDS = new Set([
  "pass",
  "pwd",
  "pin",
  "auth",
  "authorization",
  "bearer",
  "dsn",
  "cookie",
  "cookies",
  "private",
]);
/** Whole names (folded: lower case, no `_` or `-`) that hold a secret. */
const SECRET_NAMES = new Set(["connectionstring", "setcookie"]);

/**
 * Whether a name marks its value as secret: one of its words (split at `_`, `-`, `.`, spaces and
 * camelCase) ends in key, secret, token, password, credentials… or is pass, pwd, auth, bearer,
 * dsn, cookie…; `max_tokens`, `keyword` and `author` do not.
 */
export function isSecretName(name: string): boolean {
  if (SECRET_NAMES.has(name.toLowerCase().replace(/[_-]/g, ""))) return true;
  return name
    .split(/[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])/)
    .map((word) => word.toLowerCase())
    .some((word) => SECRET_SUFFIX.test(word) || SECRET_WORDS.has(word));
}

/** Why a string looks secret whatever its name, or undefined. */
function valueVerdict(value: string): string | undefined {
  const url = urlCredential(value);
  if (url === "userinfo") return "is a URL with credentials in its userinfo";
  if (url === "query") return "is a URL with a credential in its query";
  if (containsKeyShape(value)) return "is shaped like a key or token";
  return undefined;
}

function refuse(path: string, why: string, field: string): never {
  throw new ValidationError(
    `Configuration field "${path}" ${why}: secrets are never kept in configuration. Put the secret at the top level of configuration under a secret name (it moves to the credential store), or in secretsReferences.`,
    field,
  );
}

/** A key safe to print in a path: bounded, and never itself shaped like a secret. */
function checkKey(key: string, path: string, field: string): void {
  if (key.length > CONFIGURATION_LIMITS.keyLength) {
    throw new ValidationError(
      `A configuration key under "${path}" is longer than ${CONFIGURATION_LIMITS.keyLength} characters.`,
      field,
    );
  }
  if (valueVerdict(key)) refuse(path, "has a key shaped like a secret", field);
}

/**
 * Checks a nested value: JSON only, bounded in depth and size, and no string that is secret by
 * its name, a parent's name, a URL or its shape. Returns the characters it counted.
 */
function checkNested(
  value: unknown,
  path: string,
  field: string,
  secretParent: boolean,
  depth: number,
): number {
  if (depth > CONFIGURATION_LIMITS.configurationDepth) {
    throw new ValidationError(
      `Configuration field "${field}" nests deeper than ${CONFIGURATION_LIMITS.configurationDepth} levels.`,
      field,
    );
  }
  if (value === null || typeof value === "boolean") return 5;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new ValidationError(`Configuration field "${path}" must be JSON.`, field);
    return 24;
  }
  if (typeof value === "string") {
    if (value.length > CONFIGURATION_LIMITS.configurationSize) return value.length;
    if (secretParent) refuse(path, "sits under a name that marks it secret", field);
    const why = valueVerdict(value);
    if (why) refuse(path, why, field);
    return value.length + 2;
  }
  if (Array.isArray(value)) {
    let size = 2;
    for (const [index, item] of value.entries()) {
      size += checkNested(item, `${path}[${index}]`, field, secretParent, depth + 1) + 1;
      if (size > CONFIGURATION_LIMITS.configurationSize) return size;
    }
    return size;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    let size = 2;
    for (const [key, item] of Object.entries(value)) {
      checkKey(key, path, field);
      const at = `${path}.${key}`;
      size += key.length + 4 + checkNested(item, at, field, secretParent || isSecretName(key), depth + 1);
      if (size > CONFIGURATION_LIMITS.configurationSize) return size;
    }
    return size;
  }
  throw new ValidationError(`Configuration field "${path}" must be JSON.`, field);
}

/** Configuration split into plain settings and the secret values to move to the store. */
export interface SplitConfiguration {
  configuration: Record<string, JsonValue>;
  secrets: Record<string, string | Secret>;
}

/** Whether a top-level entry is a secret to move (else a plain setting, checked by `checkNested`). */
function movesOut(spec: ConnectorSpec, key: string, value: unknown): boolean {
  const field = findField(spec, key);
  if (value instanceof Secret || field?.secret === true) {
    if (typeof value !== "string" && !(value instanceof Secret)) {
      throw new ValidationError(`Secret field "${key}" must be a string or a Secret.`, key);
    }
    return true;
  }
  if (typeof value !== "string") return false;
  const url = urlCredential(value);
  if (url) refuse(key, valueVerdict(value) as string, key);
  // why: a setting the connector declares plain (a model, a base URL) is never moved, so a
  // key-shaped value there is a mistake to report, not a secret to store.
  if (field) return false;
  return isSecretName(key) || containsKeyShape(value);
}

/** Splits configuration into plain settings and secret values (moved to the store). */
export function splitConfiguration(
  spec: ConnectorSpec,
  input: Readonly<Record<string, unknown>>,
): SplitConfiguration {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError("configuration must be an object.", "configuration");
  }
  const configuration: Record<string, JsonValue> = {};
  const secrets: Record<string, string | Secret> = {};
  let size = 2;
  for (const [key, value] of Object.entries(input)) {
    checkKey(key, "configuration", "configuration");
    if (movesOut(spec, key, value)) {
      secrets[key] = value as string | Secret;
      continue;
    }
    size += key.length + 4 + checkNested(value, key, key, isSecretName(key) && !findField(spec, key), 1);
    if (size > CONFIGURATION_LIMITS.configurationSize) {
      throw new ValidationError(
        `configuration is larger than ${CONFIGURATION_LIMITS.configurationSize} characters as JSON.`,
        "configuration",
      );
    }
    configuration[key] = value as JsonValue;
  }
  return { configuration, secrets };
}

/** A connection's name: a non-empty string of at most `CONFIGURATION_LIMITS.instanceNameLength`. */
export function checkInstanceName(name: unknown): string {
  if (typeof name !== "string" || !name.trim())
    throw new ValidationError("instanceName is required.", "instanceName");
  if (name.length > CONFIGURATION_LIMITS.instanceNameLength) {
    throw new ValidationError(
      `instanceName is longer than ${CONFIGURATION_LIMITS.instanceNameLength} characters.`,
      "instanceName",
    );
  }
  return name;
}

/** Every required secret field of the connector must be configured or referenced. */
export function checkComplete(
  spec: ConnectorSpec,
  configuration: Readonly<Record<string, JsonValue>>,
  references: Readonly<Record<string, SecretReference>>,
): void {
  const present = new Set(
    [...Object.keys(configuration), ...Object.keys(references)].map((key) => findField(spec, key)?.name),
  );
  for (const field of spec.fields) {
    if (field.required && field.secret && !present.has(field.name)) {
      throw new ValidationError(
        `Connection for ${spec.displayName} needs "${field.name}" in configuration or in secretsReferences.`,
        field.name,
      );
    }
  }
}
