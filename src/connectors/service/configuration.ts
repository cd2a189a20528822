/**
 * Option A: a connection's configuration is split into plain settings (kept in the record) and
 * secret values (moved to the credential store and replaced by references).
 */
import { ValidationError } from "../../core/errors.js";
import { Secret } from "../../core/secret.js";
import type { JsonValue, SecretReference } from "../connection-store.js";
import { findField } from "../define.js";
import type { ConnectorSpec } from "../types.js";

/** A word of a name that marks its value as secret even when the spec does not list it. */
const SECRET_WORD = /(key|secret|token|password|passwd|credentials?)$|^private$/;

/**
 * Whether a configuration name looks like it holds a secret: one of its words (split at `_`,
 * `-`, `.`, spaces and camelCase) ends in key, secret, token, password… (`api_key`,
 * `clientSecret`, `accessToken`), but not `max_tokens` or `keyword`.
 */
function looksSecret(name: string): boolean {
  return name.split(/[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])/).some((word) => SECRET_WORD.test(word.toLowerCase()));
}

/** The path of a string under a secret-looking name inside a nested configuration value. */
function nestedSecret(value: JsonValue, path: string, depth = 0): string | undefined {
  if (typeof value !== "object" || value === null || depth > 20) return undefined;
  for (const [name, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`;
    if (typeof item === "string" && !Array.isArray(value) && looksSecret(name)) return at;
    const found = nestedSecret(item, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 20) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((item) => isJson(item, depth + 1));
  }
  return false;
}

/** Configuration split into plain settings and the secret values to move to the store. */
export interface SplitConfiguration {
  configuration: Record<string, JsonValue>;
  secrets: Record<string, string | Secret>;
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
  for (const [key, value] of Object.entries(input)) {
    const field = findField(spec, key);
    // A spec's secret field, a Secret, or a string under a secret-looking name is moved out.
    const secret =
      value instanceof Secret ||
      field?.secret === true ||
      (!field && typeof value === "string" && looksSecret(key));
    if (secret) {
      if (typeof value !== "string" && !(value instanceof Secret)) {
        throw new ValidationError(`Secret field "${key}" must be a string or a Secret.`, key);
      }
      secrets[key] = value;
    } else if (isJson(value)) {
      const nested = nestedSecret(value, key);
      if (nested) {
        throw new ValidationError(
          `Configuration field "${nested}" looks like a secret: put it at the top level of configuration (it is then moved to the credential store) or in secretsReferences.`,
          key,
        );
      }
      configuration[key] = value;
    } else {
      throw new ValidationError(`Configuration field "${key}" must be JSON.`, key);
    }
  }
  return { configuration, secrets };
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
