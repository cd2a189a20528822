/**
 * The options of `postgresBackend` and how they are resolved: table names, version pruning,
 * retries, and the server the connection settings point at (for messages: host and port, never
 * the password). A malformed connection string is a `ConfigurationError` here, before any call.
 */
import type { PoolConfig } from "pg";
import { maxVersionsOption } from "../../core/backend-support.js";
import { ConfigurationError } from "../../core/errors.js";
import type { LibOption } from "../../core/import-optional.js";
import type { RetryOptions } from "../../core/retry.js";
import { type PgModule, type PostgresConnectionOptions, poolConfigOf } from "./connection.js";
import { NAME } from "./errors.js";
import { type QualifiedNames, qualify } from "./schema.js";

/** Options of `postgresBackend`. */
export interface PostgresBackendOptions extends PostgresConnectionOptions {
  /**
   * Schema holding the tables; created by the migration when absent.
   * @default "public"
   */
  schema?: string | undefined;
  /**
   * Name of the credentials table. The migration also creates `<table>_migrations`.
   * @default "credkit_credentials"
   */
  table?: string | undefined;
  /**
   * Name of the versions table.
   * @default `${table}_versions`
   */
  versionsTable?: string | undefined;
  /**
   * Run the migration on first use. Turn off when the application's role may not create tables;
   * then run `migrate()` (or the SQL of `schemaSql()`) with a role that may.
   * @default true
   */
  autoMigrate?: boolean | undefined;
  /**
   * Isolate tenants with row-level security: the migration enables and forces it on both tables,
   * and every transaction sets `app.tenant_id` to the tenant's key first. Has no effect for a
   * superuser or a role with BYPASSRLS (PostgreSQL exempts them); connect as an ordinary role.
   * Also switched on by itself when the table already has row-level security enabled.
   * @default false
   */
  rowLevelSecurity?: boolean | undefined;
  /**
   * Versions kept per credential, a positive integer; older ones are removed on write. Unset
   * keeps every version. Anything else (0, negative, fractional) is a `ConfigurationError`.
   */
  maxVersions?: number | undefined;
  /**
   * Prepare the read statements: PostgreSQL parses and plans each once per connection instead of
   * on every read (about half a loopback read's time). Turn off behind a pooler in transaction
   * mode that does not carry prepared statements across server connections (PgBouncer before
   * 1.21, or without `max_prepared_statements`); a read there fails as a `ConfigurationError`
   * that says so.
   * @default true
   */
  preparedStatements?: boolean | undefined;
  /** Retries of lost connections and serialization failures. */
  retry?: Pick<RetryOptions, "attempts" | "baseDelayMs" | "maxDelayMs"> | undefined;
  /**
   * Called before each retry, with why the last attempt failed: for metrics and logs. The
   * `code` is a SQLSTATE or socket error code; never a value.
   */
  onRetry?: ((event: PostgresRetryEvent) => void) | undefined;
  /**
   * The `pg` module, or a function importing it, instead of `import("pg")`.
   * @default import("pg")
   */
  lib?: LibOption<PgModule> | undefined;
}

/** What `onRetry` receives. */
export interface PostgresRetryEvent {
  /** The attempt that failed (0 for the first). */
  readonly attempt: number;
  /** `connection`: the connection was lost or could not be opened; `serialization`: the server rolled back. */
  readonly reason: "connection" | "serialization";
  /** The SQLSTATE (e.g. `40001`, `57P01`) or socket error code (`ECONNRESET`), when there is one. */
  readonly code: string | undefined;
}

/** Everything the backend needs, resolved once. */
export interface PostgresSettings {
  readonly names: QualifiedNames;
  /** Versions kept per credential; undefined keeps all. */
  readonly maxVersions: number | undefined;
  readonly retry: RetryOptions;
  /** The pool config when credkit creates the pool; undefined when one was passed in. */
  readonly poolConfig: PoolConfig | undefined;
  /** `host:port` of the server, for messages. */
  readonly server: string;
  /** Whether read statements are prepared (named). */
  readonly preparedStatements: boolean;
}

const DEFAULT_TABLE = "credkit_credentials";

/** True for the forms `pg` reads as a connection string: a postgres URL or a socket path. */
function isConnectionString(text: string): boolean {
  if (text.startsWith("/")) return true;
  try {
    return ["postgres:", "postgresql:", "socket:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** `host:port` of the server a pool config points at. */
function serverOf(config: PoolConfig | undefined): string {
  if (config?.connectionString && !config.connectionString.startsWith("/")) {
    try {
      const url = new URL(config.connectionString);
      return `${url.hostname || "localhost"}:${url.port || 5432}`;
    } catch {
      return "the configured server";
    }
  }
  return `${config?.host ?? "localhost"}:${config?.port ?? 5432}`;
}

/** Resolves the options; throws `ConfigurationError` naming the option or variable at fault. */
export function resolveSettings(options: PostgresBackendOptions): PostgresSettings {
  const table = options.table ?? DEFAULT_TABLE;
  const poolConfig = options.pool === undefined ? poolConfigOf(options) : undefined;
  const connectionString = poolConfig?.connectionString;
  if (connectionString !== undefined && !isConnectionString(connectionString)) {
    const variable = options.connectionString !== undefined ? "connectionString" : "DATABASE_URL";
    throw new ConfigurationError(
      `${variable} is not a postgres:// connection string (postgres://user:password@host:port/database).`,
      { missing: [variable] },
      { source: NAME },
    );
  }
  return {
    names: qualify({
      schema: options.schema ?? "public",
      credentials: table,
      versions: options.versionsTable ?? `${table}_versions`,
      migrations: `${table}_migrations`,
    }),
    maxVersions: maxVersionsOption(options.maxVersions, NAME),
    retry: {
      attempts: options.retry?.attempts ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 50,
      maxDelayMs: options.retry?.maxDelayMs ?? 1_000,
      // why: pg's own statement, read and connection timeouts bound every attempt.
      timeoutMs: Number.POSITIVE_INFINITY,
    },
    poolConfig,
    server: serverOf(poolConfig ?? options.pool?.options ?? options.poolConfig),
    preparedStatements: options.preparedStatements ?? true,
  };
}
