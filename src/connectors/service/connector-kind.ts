/** Saying which connector a connection is, checked at run time. */
import { ValidationError } from "../../core/errors.js";
import type { ConnectionRecord } from "../connection-store.js";

/** The connection is of another connector than the caller named. */
export class ConnectorMismatchError extends ValidationError {
  /** The connector the caller named. */
  readonly expected: string;
  /** The connector the connection is. */
  readonly actual: string;
  constructor(id: string, expected: string, actual: string) {
    super(`Connection "${id}" is a "${actual}" connection, not "${expected}".`, "connector");
    this.expected = expected;
    this.actual = actual;
  }
}

/** Throws `ConnectorMismatchError` unless the record is of `expected` (when one is named). */
export function checkConnector(record: ConnectionRecord, expected: string | undefined): void {
  if (expected !== undefined && record.connector !== expected) {
    throw new ConnectorMismatchError(record.id, String(expected).slice(0, 100), record.connector);
  }
}
