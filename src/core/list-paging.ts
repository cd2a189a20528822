/**
 * The one paging model of every listing, whatever the store:
 *
 * - `limit` is a whole number from 1 to `MAX_PAGE_SIZE` (1000); omitted, `DEFAULT_PAGE_SIZE` (100).
 *   Anything else is a `ValidationError`. A page holds at most `limit` items and may hold fewer
 *   (even none) while a `cursor` says there is more: continue until there is no `cursor`.
 * - The cursor a caller sees is made by the core: it wraps the backend's own cursor and binds it
 *   to the listing it came from (the tenant, and what is listed). A cursor that is garbage, or
 *   that came from another tenant's or another kind of listing, is a `ValidationError`.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "./errors.js";

/** Page size when the caller gives no `limit`. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest `limit` accepted. */
export const MAX_PAGE_SIZE = 1000;
/** Longest cursor accepted, in characters: a cursor is never parsed past this. */
const MAX_CURSOR_LENGTH = 4096;
const CURSOR_PREFIX = "c1.";

/** The page size of a listing: `limit`, checked, or the default. */
export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, "limit");
  }
  return limit;
}

/** A short tag of the listing a cursor belongs to (e.g. a tenant's credentials). */
function scopeTag(scope: string): string {
  return createHash("sha256").update(scope, "utf8").digest("base64url").slice(0, 16);
}

/** The caller's cursor for a backend cursor of the listing `scope`. */
export function encodeCursor(scope: string, backendCursor: string): string {
  const body = Buffer.from(JSON.stringify([scopeTag(scope), backendCursor]), "utf8").toString("base64url");
  return CURSOR_PREFIX + body;
}

/** The backend cursor inside a caller's cursor; `ValidationError` when it is not one of `scope`. */
export function decodeCursor(scope: string, cursor: unknown): string | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationError(
      "cursor is not a cursor of this listing; pass the cursor of the previous page.",
      "cursor",
    );
  if (typeof cursor !== "string" || cursor.length > MAX_CURSOR_LENGTH || !cursor.startsWith(CURSOR_PREFIX)) {
    throw invalid();
  }
  const body = cursor.slice(CURSOR_PREFIX.length);
  const bytes = Buffer.from(body, "base64url");
  // why: base64 decoding ignores stray trailing characters; only the exact encoding is our cursor.
  if (bytes.toString("base64url") !== body) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    parsed[0] !== scopeTag(scope) ||
    typeof parsed[1] !== "string"
  ) {
    throw invalid();
  }
  return parsed[1];
}

/**
 * A page of a sorted snapshot for stores that list from memory or disk: `cursor` is the sort key
 * of the last item of the previous page, so items written between pages neither repeat nor shift.
 */
export function pageByKey<T>(
  items: ReadonlyArray<readonly [key: string, item: T]>,
  cursor: string | undefined,
  limit: number | undefined,
): { items: T[]; cursor?: string } {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  const start = cursor === undefined ? 0 : firstAfter(items, cursor);
  const slice = items.slice(start, start + size);
  const page = slice.map(([, item]) => item);
  const last = slice[slice.length - 1];
  return start + size < items.length && last ? { items: page, cursor: last[0] } : { items: page };
}

/** Index of the first item whose key sorts after `key` (items sorted by key). */
function firstAfter(items: ReadonlyArray<readonly [string, unknown]>, key: string): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((items[middle] as readonly [string, unknown])[0] <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
