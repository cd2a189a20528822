/**
 * Variable names of the env backend. A credential's variable is the prefix followed by its
 * backend key id (credkit's injective (tenantId, connectionId) encoding, `[a-z0-9-]` with the
 * tenant and connection segments joined by `--`) with letters upper-cased and `-` written `_`.
 * That is a one-to-one mapping of the id's alphabet onto `[A-Z0-9_]`, so distinct
 * (tenantId, connectionId) pairs always get distinct variable names:
 *
 *   (tenantId "user-42", connectionId "openai") → key id "user-2d42--openai" → CREDKIT_USER_2D42__OPENAI
 */
import { ConfigurationError } from "../../core/errors.js";
import { type BackendKey, KEY_SEPARATOR } from "../../core/key-encoding.js";

/** Longest key id: keeps variable names readable; longer ids are hashed by the key encoding. */
export const MAX_KEY_LENGTH = 200;

/** The prefix used when none is configured. */
export const DEFAULT_PREFIX = "CREDKIT_";

/** Checks a configured prefix: it must start a legal variable name, `[A-Z_][A-Z0-9_]*`. */
export function checkedPrefix(prefix: string): string {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(prefix)) {
    throw new ConfigurationError(
      "The env backend's prefix (option prefix or CREDKIT_ENV_PREFIX) must be upper-case letters, digits and '_', not starting with a digit.",
      { missing: ["CREDKIT_ENV_PREFIX"] },
    );
  }
  return prefix;
}

/** The variable holding the credential at `key`. */
export function variableName(prefix: string, key: Pick<BackendKey, "id">): string {
  return prefix + key.id.toUpperCase().replaceAll("-", "_");
}

/** The key id and tenant segment a variable name encodes, or undefined when it encodes none. */
export function keyOfVariable(
  prefix: string,
  name: string,
): { id: string; tenantSegment: string } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const encoded = name.slice(prefix.length);
  if (!/^[A-Z0-9_]+$/.test(encoded)) return undefined;
  const id = encoded.toLowerCase().replaceAll("_", "-");
  const at = id.indexOf(KEY_SEPARATOR);
  if (at <= 0) return undefined;
  return { id, tenantSegment: id.slice(0, at) };
}
