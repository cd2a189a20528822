/**
 * One paging contract for every `ConnectionStore`: a `limit` (a positive whole number, at most
 * `MAX_CONNECTION_PAGE`, default `DEFAULT_CONNECTION_PAGE`) and an opaque `cursor` handed back
 * with a page when more follow. Records come sorted by id.
 */
import { ValidationError } from "../../core/errors.js";

/** Connections per page when a caller names no `limit`. */
export const DEFAULT_CONNECTION_PAGE = 100;
/** The largest `limit` a caller may ask for. */
export const MAX_CONNECTION_PAGE = 1000;

/** Options of `ConnectionStore.list` and `ConnectorService.list`. */
export interface ConnectionListOptions {
  /**
   * Most records per page: a whole number from 1 to 1000.
   * @default 100
   */
  limit?: number | undefined;
  /** The `cursor` of the previous page, to continue after it. */
  cursor?: string | undefined;
}

/** The page size asked for, checked. */
export function pageLimit(options: ConnectionListOptions = {}): number {
  const { limit } = options;
  if (limit === undefined) return DEFAULT_CONNECTION_PAGE;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_CONNECTION_PAGE) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_CONNECTION_PAGE}.`, "limit");
  }
  return limit;
}

const CURSOR_PREFIX = "c1.";

/** The cursor that continues after the record with id `lastId`. */
export function encodeCursor(lastId: string): string {
  return CURSOR_PREFIX + Buffer.from(lastId, "utf8").toString("base64url");
}

/** The id a cursor continues after; undefined for none. `ValidationError` for a malformed one. */
export function decodeCursor(options: ConnectionListOptions = {}): string | undefined {
  const { cursor } = options;
  if (cursor === undefined) return undefined;
  const body =
    typeof cursor === "string" && cursor.startsWith(CURSOR_PREFIX) ? cursor.slice(CURSOR_PREFIX.length) : "";
  if (!/^[A-Za-z0-9_-]+$/.test(body) || body.length > 1000) {
    throw new ValidationError("cursor is not one this store handed out.", "cursor");
  }
  return Buffer.from(body, "base64url").toString("utf8");
}

/** Orders ids the same way in every store (by UTF-16 code units). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
