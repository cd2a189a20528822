/**
 * What differs in PostgreSQL's failures. node-postgres raises `DatabaseError`s carrying the
 * server's SQLSTATE in `code`, and plain Node errors (or bare `Error`s with a message) when the
 * socket fails; the SQLSTATE says which rung of the shared ladder a failure stands on. A missing
 * table or database, an SSL mismatch and a certificate that does not verify are configuration
 * (named by the server's host and port, never the password), and are not retried.
 */
import { ConfigurationError, UnavailableError, ValidationError } from "../../core/errors.js";
import {
  type ErrorLadder,
  errorLadder,
  isCertificateError,
  isNetworkError,
  type LadderStep,
} from "../../kit/error-ladder.js";

export const NAME = "postgres";

/** SQLSTATEs after which the server has rolled the transaction back and a rerun is safe. */
const ROLLED_BACK = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** SQLSTATEs meaning the connection or server is (for now) unusable. */
const CONNECTION_CODES = new Set([
  "57P01", // admin_shutdown (pg_terminate_backend, a fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "57P05", // idle_session_timeout
  "53300", // too_many_connections
  "25P03", // idle_in_transaction_session_timeout
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

/** The status each SQLSTATE stands for on the ladder. */
const SQLSTATE_STATUS: Readonly<Record<string, number>> = {
  "23505": 409, // unique_violation
  "28P01": 401, // invalid_password
  "28000": 401, // invalid_authorization_specification
  "42501": 403, // insufficient_privilege (or a row-level security policy)
  "22021": 400, // character_not_in_repertoire
  "22P05": 400, // untranslatable_character
  XX000: 500, // internal_error
};

/**
 * SQLSTATEs of a prepared statement the server does not have (26000) or already has under the
 * name (42P05): a pooler handing one client's statements to other server connections.
 */
const POOLED_STATEMENT = new Set(["26000", "42P05"]);

/** SQLSTATEs of a schema or database that does not exist. */
const MISSING_SCHEMA = new Set(["42P01", "3F000", "3D000"]);

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
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  return isNetworkError(error) || CONNECTION_MESSAGES.some((pattern) => pattern.test(messageOf(error)));
}

/** True when the server rolled back because of a concurrent transaction: rerunning is safe. */
export function isSerializationError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && ROLLED_BACK.has(code);
}

/** A failure that happened where it cannot be known whether the write committed. */
export class AmbiguousCommit extends Error {
  constructor(original: unknown) {
    super("The connection failed while committing.", { cause: original });
  }
}

function statusOf(error: unknown): number | undefined {
  const code = codeOf(error) ?? "";
  const known = SQLSTATE_STATUS[code];
  if (known !== undefined) return known;
  if (ROLLED_BACK.has(code) || code === "57014" || code.startsWith("53") || code.startsWith("58")) return 503;
  return isConnectionError(error) ? 503 : undefined;
}

/** An SSL mismatch or an unverifiable certificate: the settings and the server disagree. */
function tlsMismatch(error: unknown, server: string, options: LadderStep["options"]) {
  const message = messageOf(error);
  if (/does not support SSL/i.test(message)) {
    return new ConfigurationError(
      `The PostgreSQL server at ${server} does not accept SSL, but the connection settings require it (sslmode or ssl); change one of them.`,
      { missing: ["DATABASE_URL"] },
      options,
    );
  }
  if (codeOf(error) === "28000" && /SSL off|no encryption/i.test(message)) {
    return new ConfigurationError(
      `The PostgreSQL server at ${server} requires SSL; set sslmode=require in DATABASE_URL or the ssl pool setting.`,
      { missing: ["DATABASE_URL"] },
      options,
    );
  }
  if (isCertificateError(error)) {
    return new ConfigurationError(
      `The TLS certificate of the PostgreSQL server at ${server} could not be verified; set the CA in the ssl pool setting.`,
      {},
      options,
    );
  }
  return undefined;
}

function override(error: unknown, step: LadderStep, server: string) {
  const { options } = step;
  if (error instanceof AmbiguousCommit) {
    return new UnavailableError(
      "The connection to PostgreSQL failed while committing; the write may or may not have been applied. Read the credential before retrying.",
      options,
    );
  }
  const code = codeOf(error) ?? "";
  if (isSerializationError(error)) {
    return new UnavailableError(
      "PostgreSQL kept aborting the transaction because of concurrent writers (serialization failure or deadlock); retries ran out.",
      options,
    );
  }
  if (code === "57014") {
    return new UnavailableError(
      "PostgreSQL cancelled the statement (statement timeout, or a cancel request).",
      options,
    );
  }
  if (MISSING_SCHEMA.has(code)) {
    return new ConfigurationError(
      `The credentials table, its schema or the database does not exist on ${server} (${code}). Run migrate() (or enable autoMigrate) with a role allowed to create them, and check the database name.`,
      {},
      options,
    );
  }
  if (POOLED_STATEMENT.has(code)) {
    return new ConfigurationError(
      `A pooler between credkit and ${server} does not keep prepared statements per client (${code}), as PgBouncer in transaction mode before 1.21 does. Set preparedStatements: false, or max_prepared_statements in PgBouncer.`,
      {},
      options,
    );
  }
  if (step.status === 400) {
    return new ValidationError(
      "PostgreSQL text cannot hold this tenant or credential name (it contains a NUL character or bytes the database encoding rejects).",
      undefined,
      options,
    );
  }
  return tlsMismatch(error, server, options);
}

/** The ladder of one backend; `server` (host:port) names the server in configuration errors. */
export function postgresErrors(server: string): ErrorLadder {
  return errorLadder({
    source: NAME,
    service: "PostgreSQL",
    status: statusOf,
    override: (error, step) => override(error, step, server),
    authHint:
      "Check the role and its password, its privileges, and the row-level security policies (app.tenant_id).",
  });
}
