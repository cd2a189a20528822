/**
 * Small pieces every backend needs, so each backend says the same thing the same way.
 */

import type { Environment } from "../kit/definition.js";
import { ConfigurationError, ConflictError, DeletedError, NotFoundError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";

/** The conflict a failed `ifVersion` raises. */
export function versionConflict(
  backend: string,
  key: BackendKey,
  expected: number,
  actual?: number,
): ConflictError {
  const now = actual === undefined ? "changed" : actual === 0 ? "does not exist" : `is at version ${actual}`;
  return new ConflictError(
    `Credential "${key.connectionId}" ${now}; expected ${expected === 0 ? "it not to exist" : `version ${expected}`}.`,
    expected,
    { source: backend },
  );
}

/** The error for a soft-deleted record. */
export function deletedRecord(backend: string, key: BackendKey): DeletedError {
  return new DeletedError(
    `Credential "${key.connectionId}" is deleted; restore it or store it again.`,
    "deleted",
    {
      source: backend,
    },
  );
}

/** The error for deleting or restoring a record that does not exist. */
export function missingRecord(backend: string, key: BackendKey): NotFoundError {
  return new NotFoundError(`No credential "${key.connectionId}" for this tenant.`, { source: backend });
}

/** Offset-based cursors for backends that list from a sorted snapshot. */
export function pageOf<T>(
  items: readonly T[],
  cursor: string | undefined,
  limit: number | undefined,
): { items: T[]; cursor?: string } {
  const start = cursor ? Number.parseInt(cursor, 10) || 0 : 0;
  const end = limit ? start + limit : items.length;
  const page = items.slice(start, end);
  return end < items.length ? { items: page, cursor: String(end) } : { items: page };
}

/**
 * Checks a backend's `maxVersions` option, with one meaning on every store: a positive whole
 * number of versions to keep, or unset for the store's default. 0, negative and fractional
 * numbers are a `ConfigurationError` (0 once meant "delete every version" on one store and
 * "keep all" on another: never silent loss).
 */
export function maxVersionsOption(value: number | undefined, source: string): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new ConfigurationError(
    "The `maxVersions` option must be a positive whole number (or unset for the store's default).",
    { missing: ["maxVersions"] },
    { source },
  );
}

/**
 * Reads a whole-number environment variable within [min, max]; undefined when unset or empty.
 * Anything else is a `ConfigurationError` naming the variable (the value is not echoed).
 */
export function integerVariable(
  env: Environment,
  name: string,
  range: { min: number; max?: number; source: string },
): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(value) || value < range.min || value > max) {
    const bounds = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new ConfigurationError(
      `${name} must be a whole number ${bounds}.`,
      { missing: [name] },
      { source: range.source },
    );
  }
  return value;
}
