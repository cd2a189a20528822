/**
 * `postgres`: credentials in a PostgreSQL table, on `pg` (node-postgres).
 *
 * One row per credential in `<schema>.<table>` holds the current version: payload (`bytea`), type,
 * key id, fingerprints, masked forms, version, status, expiry, audit times, soft-delete time. Every
 * version written is also kept in `<table>_versions` for pinned reads. Rows are identified by the
 * encoded key (`tenant_key`, `name_key` = `BackendKey.tenantSegment`, `connectionSegment`), unique
 * together; the raw tenant and name sit beside them for people reading the table.
 *
 * A write is one statement in a transaction (see `statements.ts`). Concurrent writers queue on the
 * row lock, so each gets its own version and a stale `ifVersion` always loses. Lost connections
 * and serialization failures are retried with backoff; a connection lost during COMMIT is not (the
 * outcome is unknown).
 *
 * With `rowLevelSecurity`, every transaction first runs
 * `set_config('app.tenant_id', <tenant segment>, true)`, and policies on both tables hide (and
 * refuse) rows of any other tenant.
 */
import type { Pool, PoolClient } from "pg";
import type { Backend, BackendListOptions, BackendListPage, BackendRecord } from "../../core/backend.js";
import {
  deletedRecord,
  integerVariable,
  missingRecord,
  versionConflict,
} from "../../core/backend-support.js";
import { UnsupportedError, ValidationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import type { BackendDefinition } from "../../kit/definition.js";
import { type PostgresBackendOptions, resolveSettings } from "./config.js";
import { NAME } from "./errors.js";
import { decodeCursor, encodeCursor, metadataOf, type RecordRow, recordOf } from "./rows.js";
import { type SchemaState, schemaSql } from "./schema.js";
import { createSession, type Session, setTenantSql } from "./session.js";
import { queryOf, type Statements, statementsFor, writeParameters } from "./statements.js";

export {
  type PostgresConnectionStore,
  type PostgresConnectionStoreOptions,
  postgresConnectionStore,
} from "../../connectors/connection-stores/postgres.js";
export type { PostgresBackendOptions, PostgresRetryEvent } from "./config.js";
export type { PostgresConnectionOptions } from "./connection.js";
export { SCHEMA_VERSION, type SchemaState, TENANT_SETTING } from "./schema.js";

/** The PostgreSQL backend: a `Backend` plus schema management. */
export interface PostgresBackend extends Backend {
  getMany(keys: readonly BackendKey[]): Promise<Array<BackendRecord | undefined | Error>>;
  restore(key: BackendKey): Promise<void>;
  close(): Promise<void>;
  /**
   * Applies any missing migration (idempotent; safe to run concurrently). When it is the first
   * call of the backend, it ends the pool it opened, so a migration script exits when done.
   */
  migrate(): Promise<SchemaState>;
  /** The pool in use (created on first use unless one was passed in). */
  pool(): Promise<Pool>;
  /** The SQL of the schema, for teams that apply DDL with their own tools. */
  schemaSql(): string;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** Groups keys by tenant segment, in first-seen order. */
function byTenant(keys: readonly BackendKey[]): Map<string, BackendKey[]> {
  const groups = new Map<string, BackendKey[]>();
  for (const key of keys) {
    const group = groups.get(key.tenantSegment);
    if (group) group.push(key);
    else groups.set(key.tenantSegment, [key]);
  }
  return groups;
}

/**
 * Reads the latest rows of `keys` in one statement, or, with row-level security (the policies
 * show one tenant per setting), one statement per tenant in one transaction.
 */
async function batchRead(session: Session, sql: Statements, keys: readonly BackendKey[]) {
  const found = new Map<string, RecordRow>();
  const readGroup = async (client: PoolClient, group: readonly BackendKey[]) => {
    const { rows } = await client.query<RecordRow>(
      queryOf(sql.batch, [group.map((key) => key.tenantSegment), group.map((key) => key.connectionSegment)]),
    );
    for (const row of rows) found.set(`${row.tenant_key}--${row.name_key}`, row);
  };
  await session.withClient(async (client) => {
    if (!session.rls()) return readGroup(client, keys);
    const groups = byTenant(keys);
    const [first] = groups.keys();
    await session.inTransaction(client, first as string, false, async () => {
      for (const [tenantSegment, group] of groups) {
        if (tenantSegment !== first) await client.query(setTenantSql(tenantSegment));
        await readGroup(client, group);
      }
    });
  });
  return found;
}

/** Writes a new version: create or update in one statement, or the conflict that stopped it. */
async function writeVersion(
  session: Session,
  sql: Statements,
  key: BackendKey,
  parameters: readonly unknown[],
  ifVersion: number | undefined,
): Promise<{ version: number }> {
  return session.transaction(key.tenantSegment, async (client) => {
    const { rows } = await client.query<{ version: number }>(sql.write(ifVersion), [...parameters]);
    const written = rows[0];
    if (written) return { version: written.version };
    const current = await client.query<{ version: number; deleted: boolean }>(sql.current, [
      key.tenantSegment,
      key.connectionSegment,
    ]);
    const row = current.rows[0];
    throw versionConflict(NAME, key, ifVersion ?? 0, !row || row.deleted ? 0 : row.version);
  });
}

/** One page of the listing, in key order, with a cursor iff more rows remain. */
async function listPage(
  session: Session,
  sql: Statements,
  options: BackendListOptions,
): Promise<BackendListPage> {
  const { tenantSegment, cursor, includeDeleted } = options;
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? DEFAULT_PAGE)), MAX_PAGE);
  await session.ready();
  if (session.rls() && tenantSegment === undefined) {
    throw new UnsupportedError(
      "With row-level security on, credentials are listed one tenant at a time; pass a tenant.",
      { source: NAME },
    );
  }
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  if (tenantSegment !== undefined) {
    parameters.push(tenantSegment);
    conditions.push(`r.tenant_key = $${parameters.length}`);
  }
  if (!includeDeleted) conditions.push("r.deleted_at IS NULL");
  if (cursor !== undefined) {
    const [afterTenant, afterName] = decodeCursor(cursor);
    parameters.push(afterTenant, afterName);
    conditions.push(`(r.tenant_key, r.name_key) > ($${parameters.length - 1}, $${parameters.length})`);
  }
  parameters.push(limit + 1);
  const statement = sql.list(conditions, parameters.length);
  const query = (client: PoolClient) => client.query<RecordRow>(statement, parameters);
  const { rows } = await (tenantSegment !== undefined
    ? session.read(tenantSegment, query)
    : session.withClient(query));
  const page = rows.slice(0, limit);
  const entries = page.map((row) => ({
    metadata: metadataOf(row),
    version: row.version,
    deleted: row.deleted,
  }));
  const last = page.at(-1);
  return rows.length > limit && last ? { entries, cursor: encodeCursor(last) } : { entries };
}

/** Batch read: one slot per key, a record, undefined, or the error of that key (or of the read). */
async function readMany(
  session: Session,
  sql: Statements,
  keys: readonly BackendKey[],
): Promise<Array<BackendRecord | undefined | Error>> {
  if (keys.length === 0) return [];
  let found: Map<string, RecordRow>;
  try {
    await session.ready();
    found = await batchRead(session, sql, keys);
  } catch (error) {
    const failure = session.fail(error);
    return keys.map(() => failure);
  }
  return keys.map((key) => {
    const row = found.get(key.id);
    if (!row) return undefined;
    if (row.deleted) return deletedRecord(NAME, key);
    try {
      return recordOf(row);
    } catch (error) {
      return error as Error;
    }
  });
}

/** Creates a PostgreSQL backend. Nothing connects until the first call. */
export function postgresBackend(options: PostgresBackendOptions = {}): PostgresBackend {
  const settings = resolveSettings(options);
  const session = createSession(options, settings);
  const sql = statementsFor(settings.names, settings.maxVersions, settings.preparedStatements);

  const readRow = (key: BackendKey, version: number | undefined) =>
    session.read(key.tenantSegment, async (client) => {
      const statement = version === undefined ? sql.latest : sql.pinned;
      const parameters = [
        key.tenantSegment,
        key.connectionSegment,
        ...(version === undefined ? [] : [version]),
      ];
      const { rows } = await client.query<RecordRow>(queryOf(statement, parameters));
      return rows[0];
    });

  /** Soft-deletes, purges or restores one row; `NotFoundError` when there was none to change. */
  const change = async (key: BackendKey, statement: string): Promise<void> => {
    const changed = await session.transaction(key.tenantSegment, async (client) => {
      const { rowCount } = await client.query(statement, [key.tenantSegment, key.connectionSegment]);
      return (rowCount ?? 0) > 0;
    });
    if (!changed) throw missingRecord(NAME, key);
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      // why: keys live in indexed text columns, far from btree's ~2.7 kB entry limit at this size.
      maxKeyLength: 512,
    },
    migrate: () => session.migrate(),
    pool: () => session.pool(),
    schemaSql: () => schemaSql(settings.names, { rowLevelSecurity: options.rowLevelSecurity ?? false }),

    async get(key, getOptions = {}) {
      const { version } = getOptions;
      if (version !== undefined && (!Number.isInteger(version) || version < 1)) return undefined;
      const row = await readRow(key, version);
      if (!row) return undefined;
      if (row.deleted) throw deletedRecord(NAME, key);
      return row.version === null ? undefined : recordOf(row);
    },

    getMany: (keys) => readMany(session, sql, keys),

    async put(key, write, putOptions = {}) {
      const { ifVersion } = putOptions;
      if (ifVersion !== undefined && (!Number.isInteger(ifVersion) || ifVersion < 0)) {
        throw new ValidationError("ifVersion must be a non-negative integer.", "ifVersion", { source: NAME });
      }
      return writeVersion(session, sql, key, writeParameters(key, write, ifVersion), ifVersion);
    },

    delete: (key, deleteOptions = {}) => change(key, deleteOptions.purge ? sql.purge : sql.softDelete),
    restore: (key) => change(key, sql.restore),
    list: (listOptions = {}) => listPage(session, sql, listOptions),
    close: () => session.close(),
  };
}

export const definition: BackendDefinition = {
  type: "postgres",
  summary: "PostgreSQL table with versions and optional row-level security",
  aliases: ["postgresql"],
  packages: ["pg"],
  variables: [
    { name: "DATABASE_URL", description: "postgres:// connection string (or set the PG* variables)." },
    { name: "PGHOST", description: "Server host, when DATABASE_URL is not set." },
    { name: "PGPORT", description: "Server port (default 5432)." },
    { name: "PGDATABASE", description: "Database name." },
    { name: "PGUSER", description: "Role to connect as." },
    { name: "PGPASSWORD", description: "Password of that role." },
    { name: "CREDKIT_PG_SCHEMA", description: "Schema of the tables (default public)." },
    { name: "CREDKIT_PG_TABLE", description: "Credentials table (default credkit_credentials)." },
    {
      name: "CREDKIT_PG_ROW_LEVEL_SECURITY",
      description: "true: enable row-level security and set app.tenant_id in every transaction.",
    },
    { name: "CREDKIT_PG_AUTO_MIGRATE", description: "false: do not create or migrate tables on first use." },
    { name: "CREDKIT_PG_POOL_MAX", description: "Most pooled connections (default 10)." },
    { name: "CREDKIT_PG_STATEMENT_TIMEOUT_MS", description: "statement_timeout in ms (default 10000)." },
  ],
  missingVariables: (env) => (env.DATABASE_URL || env.PGHOST ? [] : ["DATABASE_URL"]),
  fromEnv: async (env) => {
    const maxConnections = integerVariable(env, "CREDKIT_PG_POOL_MAX", { min: 1, source: NAME });
    const statementTimeoutMs = integerVariable(env, "CREDKIT_PG_STATEMENT_TIMEOUT_MS", {
      min: 0,
      source: NAME,
    });
    return postgresBackend({
      env,
      ...(env.CREDKIT_PG_SCHEMA ? { schema: env.CREDKIT_PG_SCHEMA } : {}),
      ...(env.CREDKIT_PG_TABLE ? { table: env.CREDKIT_PG_TABLE } : {}),
      rowLevelSecurity: env.CREDKIT_PG_ROW_LEVEL_SECURITY === "true",
      autoMigrate: env.CREDKIT_PG_AUTO_MIGRATE !== "false",
      ...(maxConnections !== undefined ? { maxConnections } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    });
  },
};
