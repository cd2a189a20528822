/**
 * PostgreSQL failures as credkit errors. node-postgres raises `DatabaseError`s carrying the
 * server's SQLSTATE in `code`, and plain Node errors (or bare `Error`s with a message) when the
 * socket fails. Each becomes one typed error with a scrubbed cause; `retryable` says whether the
 * whole operation may run again (the server rolled back, or nothing was sent yet).
 */
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  type CredkitError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";

export const NAME = "postgres";

/** SQLSTATEs after which the server has rolled the transaction back and a rerun is safe. */
const ROLLED_BACK = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** SQLSTATE classes and codes meaning the connection or server is (for now) unusable. */
const CONNECTION_CODES = new Set([
  "57P01", // admin_shutdown (pg_terminate_backend, a fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "57P05", // idle_session_timeout
  "53300", // too_many_connections
  "25P03", // idle_in_transaction_session_timeout
]);

/** Node socket errors that mean the connection is gone. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Messages node-postgres and pg-pool use for a lost or unobtainable connection. */
const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Query read timeout/i,
  /connection (?:is )?(?:closed|ended|lost)/i,
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : "";
}

/** True when the error means the connection (not the statement) failed. */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (CONNECTION_CODES.has(code) || SOCKET_CODES.has(code) || code.startsWith("08")) return true;
  }
  const message = messageOf(error);
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when the server rolled back because of a concurrent transaction: rerunning is safe. */
export function isSerializationError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && ROLLED_BACK.has(code);
}

/** A failure that happened where it cannot be known whether the write committed. */
export class AmbiguousCommit extends Error {
  constructor(readonly original: unknown) {
    super("The connection failed while committing.");
  }
}

/**
 * Maps whatever `pg` threw to a credkit error. `secrets` are the connection's own password and
 * connection string, scrubbed from the cause.
 */
export function postgresError(error: unknown, secrets: readonly string[]): CredkitError {
  if (error instanceof AmbiguousCommit) {
    return new UnavailableError(
      "The connection to PostgreSQL failed while committing; the write may or may not have been applied. Read the credential before retrying.",
      { source: NAME, cause: scrubError(error.original, secrets) },
    );
  }
  const cause = scrubError(error, secrets);
  const options = { source: NAME, cause };
  const code = codeOf(error) ?? "";
  if (isSerializationError(error)) {
    return new UnavailableError(
      "PostgreSQL kept aborting the transaction because of concurrent writers (serialization failure or deadlock); retries ran out.",
      options,
    );
  }
  if (isConnectionError(error)) {
    return new UnavailableError("The connection to PostgreSQL failed or could not be opened.", options);
  }
  if (code === "57014") {
    return new UnavailableError(
      "PostgreSQL cancelled the statement (statement timeout, or a cancel request).",
      options,
    );
  }
  if (code === "23505") {
    return new ConflictError("A credential with this tenant and name already exists.", undefined, options);
  }
  if (code === "28P01" || code === "28000") {
    return new AuthError("PostgreSQL refused the connection's user or password.", options);
  }
  if (code === "42501") {
    return new AuthError(
      "PostgreSQL denied the operation: the role lacks a privilege, or a row-level security policy rejected the row.",
      options,
    );
  }
  if (code === "42P01" || code === "3F000") {
    return new ConfigurationError(
      "The credentials table or its schema does not exist. Run migrate() (or enable autoMigrate) with a role allowed to create them.",
      {},
      options,
    );
  }
  if (code === "3D000") {
    return new ConfigurationError(
      "The PostgreSQL database named in the connection settings does not exist.",
      {},
      options,
    );
  }
  if (code === "22021" || code === "22P05") {
    return new ValidationError(
      "PostgreSQL text cannot hold this tenant or credential name (it contains a NUL character or bytes the database encoding rejects).",
      undefined,
      options,
    );
  }
  if (code.startsWith("53") || code.startsWith("58") || code === "XX000") {
    return new UnavailableError("PostgreSQL is out of resources or failed internally.", options);
  }
  return new UnavailableError("A PostgreSQL call failed.", options);
}
