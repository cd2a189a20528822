/**
 * Where the connection comes from: a ready `pg.Pool`, a connection string, `DATABASE_URL`, or the
 * standard `PG*` variables, plus the pool settings credkit applies to a pool it creates itself.
 */
import type { Pool, PoolConfig } from "pg";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { Environment } from "../../kit/definition.js";

/** The `pg` module, as `import("pg")` returns it. */
export type PgModule = typeof import("pg");

/** Connection settings of `postgresBackend`. */
export interface PostgresConnectionOptions {
  /**
   * A ready pool (or anything shaped like `pg.Pool`). credkit never ends a pool it did not
   * create, and applies none of its own pool settings to it (set `statement_timeout` on it).
   */
  pool?: Pool | undefined;
  /**
   * A `postgres://` connection string.
   * @default env.DATABASE_URL, else the PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD)
   */
  connectionString?: string | undefined;
  /** Further `pg.Pool` settings (`ssl`, `host`, `user`, …); credkit's own settings below win. */
  poolConfig?: PoolConfig | undefined;
  /**
   * Most connections the pool opens.
   * @default 10
   */
  maxConnections?: number | undefined;
  /**
   * Server-side limit of one statement, in milliseconds (`statement_timeout`); also the basis of
   * the client-side read timeout, so a silent network cannot hang a call.
   * @default 10000
   */
  statementTimeoutMs?: number | undefined;
  /**
   * Limit for opening a connection, in milliseconds.
   * @default 5000
   */
  connectionTimeoutMs?: number | undefined;
  /**
   * `application_name` of the connections, shown in `pg_stat_activity`.
   * @default "credkit"
   */
  applicationName?: string | undefined;
  /**
   * Environment consulted for `DATABASE_URL` and the `PG*` variables.
   * @default process.env
   */
  env?: Environment | undefined;
}

/** Margin between the server's statement timeout and the client's read timeout. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;

/** The `pg.Pool` settings for a pool credkit creates. */
export function poolConfigOf(options: PostgresConnectionOptions): PoolConfig {
  const env = options.env ?? process.env;
  const statementTimeout = options.statementTimeoutMs ?? 10_000;
  const connectionString = options.connectionString ?? env.DATABASE_URL;
  const fromEnv: PoolConfig = connectionString
    ? { connectionString }
    : {
        ...(env.PGHOST ? { host: env.PGHOST } : {}),
        ...(env.PGPORT ? { port: Number(env.PGPORT) } : {}),
        ...(env.PGDATABASE ? { database: env.PGDATABASE } : {}),
        ...(env.PGUSER ? { user: env.PGUSER } : {}),
        ...(env.PGPASSWORD ? { password: env.PGPASSWORD } : {}),
      };
  return {
    ...fromEnv,
    ...options.poolConfig,
    max: options.maxConnections ?? options.poolConfig?.max ?? 10,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + CLIENT_TIMEOUT_MARGIN_MS,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    application_name: options.applicationName ?? options.poolConfig?.application_name ?? "credkit",
    keepAlive: true,
  };
}

/** The connection's own secrets (password, the connection string holding it), for scrubbing. */
export function connectionSecrets(config: PoolConfig | undefined, env: Environment): string[] {
  const secrets: string[] = [];
  const connectionString = config?.connectionString ?? env.DATABASE_URL;
  if (connectionString) {
    secrets.push(connectionString);
    try {
      const password = new URL(connectionString).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // not a URL (a key=value string): the whole string is already listed
    }
  }
  if (typeof config?.password === "string") secrets.push(config.password);
  if (env.PGPASSWORD) secrets.push(env.PGPASSWORD);
  return secrets;
}

/** `Pool` from the module, whether it arrives as a namespace or as a CommonJS default export. */
export function poolClassOf(lib: PgModule | { default: PgModule }): PgModule["Pool"] {
  const module = "default" in lib && lib.default ? lib.default : (lib as PgModule);
  return module.Pool;
}

/** A pool opened on first use, and its release. */
export interface LazyPool {
  /** The caller's pool, or one created (once) from the options. */
  get(): Promise<Pool>;
  /** Ends the pool if it was created here; a caller's pool is left open. */
  end(): Promise<void>;
}

/**
 * The pool a store runs on: `options.pool` as it is, else one created on first use from the
 * options (`pg` imported lazily, `feature` naming the store in a missing-package error).
 */
export function lazyPool(
  options: PostgresConnectionOptions & { lib?: LibOption<PgModule> },
  feature: string,
): LazyPool {
  const config = options.pool ? undefined : poolConfigOf(options);
  let created: Promise<Pool> | undefined;
  return {
    get: () =>
      (created ??= (async () => {
        if (options.pool) return options.pool;
        const lib = await importOptional("pg", feature, () => import("pg"), options.lib);
        const pool = new (poolClassOf(lib))(config);
        pool.on("error", () => undefined);
        return pool;
      })()),
    async end() {
      if (!options.pool && created) await (await created).end();
    },
  };
}
