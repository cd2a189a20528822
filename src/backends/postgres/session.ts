/**
 * The backend's connection to PostgreSQL: the pool (created on first use unless one was passed
 * in), the schema check or migration before the first statement, and the one way statements run:
 * on a pooled connection under the core's `withRetry`, retrying lost connections and serialization
 * failures, never a write whose COMMIT outcome is unknown, never a configuration error.
 */
import type { Pool, PoolClient } from "pg";
import { ConfigurationError, CredkitError, UnsupportedError, ValidationError } from "../../core/errors.js";
import { importOptional } from "../../core/import-optional.js";
import { withRetry } from "../../core/retry.js";
import type { PostgresBackendOptions, PostgresSettings } from "./config.js";
import { connectionSecrets, poolClassOf } from "./connection.js";
import { AmbiguousCommit, isConnectionError, isSerializationError, NAME, postgresErrors } from "./errors.js";
import { inspectSchema, migrateSchema, type SchemaState, TENANT_SETTING } from "./schema.js";

const ignore = () => undefined;
/** Tenant segments are `[a-z0-9-]`; checked before one is written into SQL text. */
const SEGMENT = /^[a-z0-9-]+$/;

/** The statement that sets the row-level security tenant for the rest of the transaction. */
export function setTenantSql(segment: string): string {
  if (!SEGMENT.test(segment)) {
    throw new ValidationError("A tenant segment must be [a-z0-9-].", "tenantSegment", { source: NAME });
  }
  return `SELECT set_config('${TENANT_SETTING}', '${segment}', true)`;
}

/** Statements on one connection: what the backend's operations are written against. */
export interface Session {
  /** Runs `body` on one pooled connection, retrying what is safe to retry. */
  withClient<T>(body: (client: PoolClient) => Promise<T>, prepare?: boolean): Promise<T>;
  /** Runs `body` in a transaction, with the tenant setting when row-level security is on. */
  inTransaction<T>(
    client: PoolClient,
    tenantSegment: string,
    write: boolean,
    body: () => Promise<T>,
  ): Promise<T>;
  /** A write: always a transaction. */
  transaction<T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** A read: one statement, in a transaction only when the tenant must be set first. */
  read<T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T>;
  /** The schema check (or migration) that runs once before the first statement. */
  ready(): Promise<void>;
  /** Applies missing migrations; closes the pool again when this call was the one to create it. */
  migrate(): Promise<SchemaState>;
  pool(): Promise<Pool>;
  /** Whether transactions set the tenant. */
  rls(): boolean;
  /** Maps anything a statement threw to a credkit error. */
  fail(error: unknown): CredkitError;
  close(): Promise<void>;
}

/** Creates the pool credkit owns: secrets hidden from inspection, dying connections absorbed. */
async function createPool(options: PostgresBackendOptions, settings: PostgresSettings): Promise<Pool> {
  const lib = await importOptional("pg", "the postgres backend", () => import("pg"), options.lib);
  const Pool = poolClassOf(lib);
  const pool = new Pool(settings.poolConfig);
  // why: pg-pool hides `password` from util.inspect and JSON but keeps a connection string
  // (which may hold the password) in plain view on `pool.options`; hide it the same way.
  if (pool.options.connectionString !== undefined) {
    Object.defineProperty(pool.options, "connectionString", { enumerable: false });
  }
  // why: a connection dying while idle in the pool is reported here; the pool has already
  // dropped it and the next call opens a new one. Without a listener Node would crash.
  pool.on("error", ignore);
  // why: pg-pool drops its own listener when it hands a client out, and a connection killed
  // right after its handshake reports that before our code runs; give every client a
  // listener from birth. The failure still reaches the next query, which retries.
  pool.on("connect", (client) => client.on("error", ignore));
  return pool;
}

/** Runs `body` on `client` and gives the client back: dropped when its state is unknown. */
async function onClient<T>(client: PoolClient, body: (client: PoolClient) => Promise<T>): Promise<T> {
  // why: a checked-out client whose socket dies emits `error`, and with no listener Node
  // crashes; the failure also reaches the pending query, which is where it is handled.
  client.on("error", ignore);
  try {
    const result = await body(client);
    client.off("error", ignore);
    client.release();
    return result;
  } catch (error) {
    if (CredkitError.isInstance(error)) {
      client.off("error", ignore);
      client.release();
    } else {
      // why: a connection that failed mid-transaction is in an unknown state; drop it, and
      // keep the listener to absorb whatever its dying socket still reports.
      client.release(true);
    }
    throw error;
  }
}

/** The retry event of a failure, for `onRetry`. */
function retryEvent(error: unknown, attempt: number) {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    attempt,
    reason: isSerializationError(error) ? ("serialization" as const) : ("connection" as const),
    code: typeof code === "string" ? code : undefined,
  };
}

/** The warning for row-level security that cannot apply to the connected role. */
function warnBypass(): void {
  process.emitWarning(
    "credkit: row-level security is on, but the connected PostgreSQL role is a superuser or has BYPASSRLS, so the policies do not apply to it. Connect as an ordinary role.",
    { code: "CREDKIT_PG_RLS_BYPASSED" },
  );
}

/** Creates the session of one backend. Nothing connects until the first statement. */
export function createSession(options: PostgresBackendOptions, settings: PostgresSettings): Session {
  return new PgSession(options, settings);
}

/** The pool, the one-time schema check and the transaction rules of one backend. */
class PgSession implements Session {
  readonly #options: PostgresBackendOptions;
  readonly #settings: PostgresSettings;
  readonly #fail: (error: unknown) => CredkitError;
  readonly #rowLevelSecurity: boolean;
  #poolPromise: Promise<Pool> | undefined;
  #readyPromise: Promise<void> | undefined;
  #closed = false;
  #rls: boolean;
  #warned = false;

  constructor(options: PostgresBackendOptions, settings: PostgresSettings) {
    this.#options = options;
    this.#settings = settings;
    const secrets = connectionSecrets(settings.poolConfig ?? options.poolConfig, options.env ?? process.env);
    const ladder = postgresErrors(settings.server);
    this.#fail = (error) => ladder(error, "complete the call", secrets);
    this.#rowLevelSecurity = options.rowLevelSecurity ?? false;
    this.#rls = this.#rowLevelSecurity;
  }

  fail(error: unknown): CredkitError {
    return this.#fail(error);
  }

  rls(): boolean {
    return this.#rls;
  }

  pool(): Promise<Pool> {
    this.#poolPromise ??= this.#options.pool
      ? Promise.resolve(this.#options.pool)
      : createPool(this.#options, this.#settings);
    this.#poolPromise.catch(() => {
      this.#poolPromise = undefined;
    });
    return this.#poolPromise;
  }

  async withClient<T>(body: (client: PoolClient) => Promise<T>, prepare = true): Promise<T> {
    if (this.#closed) throw new UnsupportedError("The postgres backend is closed.", { source: NAME });
    if (prepare) await this.ready();
    const pool = await this.pool();
    return withRetry(async () => onClient(await pool.connect(), body), this.#fail, this.#settings.retry, {
      retryable: (error) =>
        !(error instanceof AmbiguousCommit) && (isConnectionError(error) || isSerializationError(error)),
      onRetry: (error, attempt) => this.#options.onRetry?.(retryEvent(error, attempt)),
    });
  }

  async inTransaction<T>(
    client: PoolClient,
    tenantSegment: string,
    write: boolean,
    body: () => Promise<T>,
  ): Promise<T> {
    // why: the segment is [a-z0-9-] (checked), so BEGIN and the setting share one round trip.
    await client.query(this.#rls ? `BEGIN; ${setTenantSql(tenantSegment)}` : "BEGIN");
    let result: T;
    try {
      result = await body();
    } catch (error) {
      await client.query("ROLLBACK").catch(ignore);
      throw error;
    }
    try {
      await client.query("COMMIT");
    } catch (error) {
      if (write && isConnectionError(error)) throw new AmbiguousCommit(error);
      throw error;
    }
    return result;
  }

  transaction<T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient((client) => this.inTransaction(client, tenantSegment, true, () => body(client)));
  }

  read<T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient((client) =>
      this.#rls ? this.inTransaction(client, tenantSegment, false, () => body(client)) : body(client),
    );
  }

  ready(): Promise<void> {
    this.#readyPromise ??= this.#prepare();
    this.#readyPromise.catch(() => {
      this.#readyPromise = undefined;
    });
    return this.#readyPromise;
  }

  async migrate(): Promise<SchemaState> {
    // why: `postgresBackend(...).migrate()` alone must not leave an open pool keeping the
    // process alive; a pool this call created is ended again, and the next call makes another.
    const created = this.#poolPromise === undefined && !this.#options.pool;
    try {
      return await this.#migrate();
    } finally {
      if (created && this.#poolPromise && this.#readyPromise === undefined) {
        const pool = await this.#poolPromise.catch(() => undefined);
        this.#poolPromise = undefined;
        await pool?.end();
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#options.pool || !this.#poolPromise) return;
    const pool = await this.#poolPromise.catch(() => undefined);
    await pool?.end();
  }

  async #migrate(): Promise<SchemaState> {
    const state = await this.withClient(
      (client) => migrateSchema(client, this.#settings.names, { rowLevelSecurity: this.#rowLevelSecurity }),
      false,
    );
    if (state.rlsEnabled) this.#rls = true;
    return state;
  }

  /** The schema check (or migration), once; warns when row-level security cannot apply. */
  async #prepare(): Promise<void> {
    const state =
      this.#options.autoMigrate === false
        ? await this.withClient((client) => inspectSchema(client, this.#settings.names), false)
        : await this.#migrate();
    if (state.version === 0) {
      const { schema, credentials } = this.#settings.names.plain;
      throw new ConfigurationError(
        `The table ${schema}.${credentials} does not exist and autoMigrate is off. Run migrate() with a role allowed to create it.`,
        {},
        { source: NAME },
      );
    }
    if (state.rlsEnabled) this.#rls = true;
    if (this.#rls && state.bypassesRls && !this.#warned) {
      this.#warned = true;
      warnBypass();
    }
  }
}
