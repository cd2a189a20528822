/**
 * The bounds every id the manager takes must meet, checked before any other work (no key is
 * built, no cache is consulted, nothing is audited with an unbounded string):
 *
 * - a string, not empty and not only white space;
 * - at most `MAX_ID_BYTES` (256) bytes of UTF-8;
 * - a connection id given to the public API does not begin with `RESERVED_PREFIX` (`~`): those
 *   names hold credkit's own records (see `system-records.ts`).
 */
import { ValidationError } from "./errors.js";

/** The longest tenant id or connection id, in bytes of UTF-8. */
export const MAX_ID_BYTES = 256;

/** The first character of the connection ids credkit keeps for its own records. */
export const RESERVED_PREFIX = "~";
const RESERVED_CODE = RESERVED_PREFIX.charCodeAt(0);
const NOT_SPACE = /\S/;

/** Whether `id` is a string within the bounds (reserved names included). */
export function isBoundedId(id: unknown): id is string {
  if (typeof id !== "string") return false;
  // why: one UTF-16 unit is at most 3 UTF-8 bytes, so short ids skip the byte count.
  if (id.length * 3 > MAX_ID_BYTES && (id.length > MAX_ID_BYTES || Buffer.byteLength(id) > MAX_ID_BYTES)) {
    return false;
  }
  // why: an id starting with a visible ASCII character is not only white space; the test
  // below runs only for the rest (the cache-hit path checks two ids per read).
  const first = id.charCodeAt(0);
  return (first > 0x20 && first < 0x7f) || NOT_SPACE.test(id);
}

/** Whether `connectionId` is one of credkit's reserved names. */
export function isReservedName(connectionId: string): boolean {
  return connectionId.charCodeAt(0) === RESERVED_CODE;
}

/** The id, or a `ValidationError` naming the parameter (never echoing the value). */
export function checkId(id: unknown, field: string): string {
  if (isBoundedId(id)) return id;
  if (typeof id !== "string") throw new ValidationError(`${field} must be a string.`, field);
  throw new ValidationError(`${field} must be 1 to ${MAX_ID_BYTES} bytes and not only white space.`, field);
}

/** A connection id the public API accepts: bounded and not reserved. */
export function checkPublicName(connectionId: unknown, field = "connectionId"): string {
  const checked = checkId(connectionId, field);
  if (isReservedName(checked)) {
    throw new ValidationError(
      `${field} must not begin with "${RESERVED_PREFIX}" (reserved for credkit).`,
      field,
    );
  }
  return checked;
}

/** How an id appears in the audit trail of a failure: itself when bounded, else empty. */
export function auditedId(id: unknown): string {
  return isBoundedId(id) ? id : "";
}
