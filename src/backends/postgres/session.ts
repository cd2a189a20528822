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
  const env = options.env ?? process.env;
  const secrets = connectionSecrets(settings.poolConfig ?? options.poolConfig, env);
  const ladder = postgresErrors(settings.server);
  const fail = (error: unknown) => ladder(error, "complete the call", secrets);
  const rowLevelSecurity = options.rowLevelSecurity ?? false;
  let poolPromise: Promise<Pool> | undefined;
  let readyPromise: Promise<void> | undefined;
  let closed = false;
  let rls = rowLevelSecurity;
  let warned = false;

  const getPool = (): Promise<Pool> => {
    poolPromise ??= options.pool ? Promise.resolve(options.pool) : createPool(options, settings);
    poolPromise.catch(() => {
      poolPromise = undefined;
    });
    return poolPromise;
  };

  const withClient = async <T>(body: (client: PoolClient) => Promise<T>, prepare = true): Promise<T> => {
    if (closed) throw new UnsupportedError("The postgres backend is closed.", { source: NAME });
    if (prepare) await ready();
    const pool = await getPool();
    return withRetry(async () => onClient(await pool.connect(), body), fail, settings.retry, {
      retryable: (error) =>
        !(error instanceof AmbiguousCommit) && (isConnectionError(error) || isSerializationError(error)),
      onRetry: (error, attempt) => options.onRetry?.(retryEvent(error, attempt)),
    });
  };

  const inTransaction: Session["inTransaction"] = async (client, tenantSegment, write, body) => {
    // why: the segment is [a-z0-9-] (checked), so BEGIN and the setting share one round trip.
    await client.query(rls ? `BEGIN; ${setTenantSql(tenantSegment)}` : "BEGIN");
    let result: Awaited<ReturnType<typeof body>>;
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
  };

  const migrateWith = async (): Promise<SchemaState> => {
    const state = await withClient(
      (client) => migrateSchema(client, settings.names, { rowLevelSecurity }),
      false,
    );
    if (state.rlsEnabled) rls = true;
    return state;
  };

  const ready = (): Promise<void> => {
    readyPromise ??= (async () => {
      const state =
        options.autoMigrate === false
          ? await withClient((client) => inspectSchema(client, settings.names), false)
          : await migrateWith();
      if (state.version === 0) {
        const { schema, credentials } = settings.names.plain;
        throw new ConfigurationError(
          `The table ${schema}.${credentials} does not exist and autoMigrate is off. Run migrate() with a role allowed to create it.`,
          {},
          { source: NAME },
        );
      }
      if (state.rlsEnabled) rls = true;
      if (rls && state.bypassesRls && !warned) {
        warned = true;
        warnBypass();
      }
    })();
    readyPromise.catch(() => {
      readyPromise = undefined;
    });
    return readyPromise;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (options.pool || !poolPromise) return;
    const pool = await poolPromise.catch(() => undefined);
    await pool?.end();
  };

  return {
    withClient,
    inTransaction,
    transaction: (tenantSegment, body) =>
      withClient((client) => inTransaction(client, tenantSegment, true, () => body(client))),
    read: (tenantSegment, body) =>
      withClient((client) =>
        rls ? inTransaction(client, tenantSegment, false, () => body(client)) : body(client),
      ),
    ready,
    async migrate() {
      // why: `postgresBackend(...).migrate()` alone must not leave an open pool keeping the
      // process alive; a pool this call created is ended again, and the next call makes another.
      const created = poolPromise === undefined && !options.pool;
      try {
        return await migrateWith();
      } finally {
        if (created && poolPromise && readyPromise === undefined) {
          const pool = await poolPromise.catch(() => undefined);
          poolPromise = undefined;
          await pool?.end();
        }
      }
    },
    pool: getPool,
    rls: () => rls,
    fail,
    close,
  };
}
