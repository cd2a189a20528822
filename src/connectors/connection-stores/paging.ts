/**
 * The paging options of every `ConnectionStore`: the core's one paging model (a `limit` from 1
 * to 1000, default 100; an opaque `cursor` bound to the listing it came from).
 */
import {
  pageLimit as corePageLimit,
  decodeCursor as decodeCoreCursor,
  encodeCursor as encodeCoreCursor,
} from "../../core/list-paging.js";

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

/** The listing scope of connection cursors made by `encodeCursor`. */
const SCOPE = "connections-by-id";

/** The page size asked for, checked (`ValidationError` outside 1–1000). */
export function pageLimit(options: ConnectionListOptions = {}): number {
  return corePageLimit(options.limit);
}

/** The cursor that continues after the record with id `lastId`, for stores that page by id. */
export function encodeCursor(lastId: string): string {
  return encodeCoreCursor(SCOPE, lastId);
}

/** The id a cursor continues after; undefined for none. `ValidationError` for a malformed one. */
export function decodeCursor(options: ConnectionListOptions = {}): string | undefined {
  return decodeCoreCursor(SCOPE, options.cursor);
}

/** Orders ids the same way in every store that pages by id (by UTF-16 code units). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
