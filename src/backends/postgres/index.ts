/**
 * `postgres`: credentials in a PostgreSQL table, on `pg` (node-postgres).
 *
 * One row per credential in `<schema>.<table>` holds the current version: payload (`bytea`), type,
 * key id, fingerprints, version, status, expiry, audit times, soft-delete time. Every version
 * written is also kept in `<table>_versions` for pinned reads. Rows are identified by the encoded
 * key (`tenant_key`, `name_key` = `BackendKey.tenantSegment`, `nameSegment`), unique together;
 * the raw tenant and name sit beside them for people reading the table.
 *
 * A write is one statement in a transaction: an upsert that bumps `version` under the row lock
 * (with the `ifVersion` condition in its `WHERE`), the history insert and the pruning of old
 * versions, as data-modifying CTEs. Concurrent writers queue on the row lock, so each gets its own
 * version and a stale `ifVersion` always loses. Lost connections and serialization failures are
 * retried with backoff; a connection lost during COMMIT is not (the outcome is unknown).
 *
 * With `rowLevelSecurity`, every transaction first runs
 * `set_config('app.tenant_id', <tenant segment>, true)`, and policies on both tables hide (and
 * refuse) rows of any other tenant.
 */
import type { Pool, PoolClient } from "pg";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  RecordMetadata,
} from "../../core/backend.js";
import {
  deletedRecord,
  integerVariable,
  missingRecord,
  versionConflict,
} from "../../core/backend-support.js";
import type { CredentialType } from "../../core/credential-types.js";
import { ConfigurationError, CredkitError, UnsupportedError, ValidationError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { backoffDelay, resolveRetryOptions } from "../../core/retry.js";
import type { BackendDefinition } from "../../kit/definition.js";
import {
  connectionSecrets,
  type PgModule,
  type PostgresConnectionOptions,
  poolClassOf,
  poolConfigOf,
} from "./connection.js";
import { AmbiguousCommit, isConnectionError, isSerializationError, NAME, postgresError } from "./errors.js";
import {
  inspectSchema,
  migrateSchema,
  type QualifiedNames,
  qualify,
  type SchemaState,
  schemaSql,
  TENANT_SETTING,
} from "./schema.js";

export type { PostgresConnectionOptions } from "./connection.js";
export { SCHEMA_VERSION, type SchemaState, TENANT_SETTING } from "./schema.js";

/** Options of `postgresBackend`. */
export interface PostgresBackendOptions extends PostgresConnectionOptions {
  /**
   * Schema holding the tables; created by the migration when absent.
   * @default "public"
   */
  schema?: string;
  /**
   * Name of the credentials table. The migration also creates `<table>_migrations`.
   * @default "credkit_credentials"
   */
  table?: string;
  /**
   * Name of the versions table.
   * @default `${table}_versions`
   */
  versionsTable?: string;
  /**
   * Run the migration on first use. Turn off when the application's role may not create tables;
   * then run `migrate()` (or the SQL of `schemaSql()`) with a role that may.
   * @default true
   */
  autoMigrate?: boolean;
  /**
   * Isolate tenants with row-level security: the migration enables and forces it on both tables,
   * and every transaction sets `app.tenant_id` to the tenant's key first. Has no effect for a
   * superuser or a role with BYPASSRLS (PostgreSQL exempts them); connect as an ordinary role.
   * Also switched on by itself when the table already has row-level security enabled.
   * @default false
   */
  rowLevelSecurity?: boolean;
  /**
   * Versions kept per credential; older ones are removed on write. 0 keeps every version.
   * @default 100
   */
  maxVersions?: number;
  /** Retries of lost connections and serialization failures. */
  retry?: {
    /**
     * Attempts in all, the first included.
     * @default 5
     */
    attempts?: number;
    /**
     * Base delay before the first retry, in milliseconds; doubled each time, with full jitter.
     * @default 50
     */
    baseDelayMs?: number;
    /**
     * Longest delay between attempts, in milliseconds.
     * @default 1000
     */
    maxDelayMs?: number;
  };
  /**
   * Called before each retry, with why the last attempt failed: for metrics and logs. The
   * `code` is a SQLSTATE or socket error code; never a value.
   */
  onRetry?: (event: PostgresRetryEvent) => void;
  /**
   * The `pg` module, or a function importing it, instead of `import("pg")`.
   * @default import("pg")
   */
  lib?: LibOption<PgModule>;
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

/** The PostgreSQL backend: a `Backend` plus schema management. */
export interface PostgresBackend extends Backend {
  getMany(keys: readonly BackendKey[]): Promise<Array<BackendRecord | undefined | Error>>;
  restore(key: BackendKey): Promise<void>;
  close(): Promise<void>;
  /** Applies any missing migration (idempotent; safe to run concurrently). */
  migrate(): Promise<SchemaState>;
  /** The pool in use (created on first use unless one was passed in). */
  pool(): Promise<Pool>;
  /** The SQL of the schema, for teams that apply DDL with their own tools. */
  schemaSql(): string;
}

const DEFAULT_TABLE = "credkit_credentials";
const ignore = () => undefined;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** Tenant segments are `[a-z0-9-]`; checked before one is written into SQL text. */
const SEGMENT = /^[a-z0-9-]+$/;

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Columns of a record's metadata, as read from either table under `alias`. */
const metadataColumns = (alias: string): string =>
  [
    `${alias}.tenant`,
    `${alias}.name`,
    `${alias}.credential_type`,
    `${alias}.key_id`,
    `${alias}.fingerprints`,
    `${iso(`${alias}.created_at`)} AS created_at`,
    `${iso(`${alias}.updated_at`)} AS updated_at`,
    `${alias}.created_by`,
    `${iso(`${alias}.expires_at`)} AS expires_at`,
  ].join(", ");

const METADATA_COLUMNS = metadataColumns("r");

/** A credential row's metadata, version, status and key: what listing returns. */
const LIST_COLUMNS = `${METADATA_COLUMNS}, r.version, r.deleted_at IS NOT NULL AS deleted, r.tenant_key, r.name_key`;

/** …and the payload: what a read returns. */
const RECORD_SELECT = `SELECT ${LIST_COLUMNS}, r.encrypted_value, r.value_encoding`;

interface MetadataRow {
  tenant: string;
  name: string;
  credential_type: string;
  key_id: string | null;
  fingerprints: Record<string, string> | string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  expires_at: string | null;
}

interface RecordRow extends MetadataRow {
  encrypted_value: Buffer;
  value_encoding: "base64" | "utf8";
  version: number;
  deleted: boolean;
  tenant_key: string;
  name_key: string;
}

function metadataOf(row: MetadataRow): RecordMetadata {
  return {
    tenant: row.tenant,
    name: row.name,
    type: row.credential_type as CredentialType,
    fingerprints: typeof row.fingerprints === "string" ? JSON.parse(row.fingerprints) : row.fingerprints,
    keyId: row.key_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.created_by !== null ? { createdBy: row.created_by } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}

function recordOf(row: RecordRow): BackendRecord {
  const value =
    row.value_encoding === "base64"
      ? row.encrypted_value.toString("base64")
      : row.encrypted_value.toString("utf8");
  return { value, metadata: metadataOf(row), version: row.version };
}

/**
 * The payload's bytes: a canonical base64 string (an envelope) is stored decoded; anything else
 * (the plain codec's JSON) as UTF-8. `value_encoding` says which, so reads give back the string.
 */
function payloadOf(value: string): { bytes: Buffer; encoding: "base64" | "utf8" } {
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0) {
    const bytes = Buffer.from(value, "base64");
    if (bytes.toString("base64") === value) return { bytes, encoding: "base64" };
  }
  return { bytes: Buffer.from(value, "utf8"), encoding: "utf8" };
}

/** The statement that sets the row-level security tenant for the rest of the transaction. */
function setTenantSql(segment: string): string {
  if (!SEGMENT.test(segment)) {
    throw new ValidationError("A tenant segment must be [a-z0-9-].", "tenantSegment", { source: NAME });
  }
  return `SELECT set_config('${TENANT_SETTING}', '${segment}', true)`;
}

/** Cursor: the last listed (tenant_key, name_key), base64url JSON. */
function encodeCursor(row: { tenant_key: string; name_key: string }): string {
  return Buffer.from(JSON.stringify([row.tenant_key, row.name_key]), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === "string")) {
      return parsed as [string, string];
    }
  } catch {
    // falls through to the error below
  }
  throw new ValidationError("The list cursor is not one this backend returned.", "cursor", { source: NAME });
}

/** Creates a PostgreSQL backend. Nothing connects until the first call. */
export function postgresBackend(options: PostgresBackendOptions = {}): PostgresBackend {
  const env = options.env ?? process.env;
  const table = options.table ?? DEFAULT_TABLE;
  const names: QualifiedNames = qualify({
    schema: options.schema ?? "public",
    credentials: table,
    versions: options.versionsTable ?? `${table}_versions`,
    migrations: `${table}_migrations`,
  });
  const { credentials: C, versions: V } = names;
  const maxVersions = Math.max(0, options.maxVersions ?? 100);
  const retry = resolveRetryOptions({
    attempts: options.retry?.attempts ?? 5,
    baseDelayMs: options.retry?.baseDelayMs ?? 50,
    maxDelayMs: options.retry?.maxDelayMs ?? 1_000,
  });
  const ownsPool = options.pool === undefined;
  const poolConfig = ownsPool ? poolConfigOf(options) : undefined;
  const secrets = connectionSecrets(poolConfig ?? options.poolConfig, env);

  let poolPromise: Promise<Pool> | undefined;
  let readyPromise: Promise<void> | undefined;
  let closed = false;
  /** Whether transactions set the tenant: asked for, or found enabled on the table. */
  let rls = options.rowLevelSecurity ?? false;

  const getPool = (): Promise<Pool> => {
    poolPromise ??= (async () => {
      if (options.pool) return options.pool;
      const lib = await importOptional("pg", "the postgres backend", () => import("pg"), options.lib);
      const Pool = poolClassOf(lib);
      const pool = new Pool(poolConfig);
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
    })();
    poolPromise.catch(() => {
      poolPromise = undefined;
    });
    return poolPromise;
  };

  /** Runs `body` on one pooled connection, retrying what is safe to retry. */
  const withClient = async <T>(body: (client: PoolClient) => Promise<T>, prepare = true): Promise<T> => {
    if (closed) throw new UnsupportedError("The postgres backend is closed.", { source: NAME });
    if (prepare) await ready();
    const pool = await getPool();
    for (let attempt = 0; ; attempt++) {
      let client: PoolClient | undefined;
      try {
        client = await pool.connect();
        // why: a checked-out client whose socket dies emits `error`, and with no listener Node
        // crashes; the failure also reaches the pending query, which is where it is handled.
        client.on("error", ignore);
        const result = await body(client);
        client.off("error", ignore);
        client.release();
        return result;
      } catch (error) {
        if (client && CredkitError.isInstance(error)) {
          client.off("error", ignore);
          client.release();
        } else {
          // why: a connection that failed mid-transaction is in an unknown state; drop it, and
          // keep the listener to absorb whatever its dying socket still reports.
          client?.release(true);
        }
        if (CredkitError.isInstance(error)) throw error;
        const retryable =
          !(error instanceof AmbiguousCommit) && (isConnectionError(error) || isSerializationError(error));
        if (!retryable || attempt + 1 >= retry.attempts) throw postgresError(error, secrets);
        const code = (error as { code?: unknown }).code;
        options.onRetry?.({
          attempt,
          reason: isSerializationError(error) ? "serialization" : "connection",
          code: typeof code === "string" ? code : undefined,
        });
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, retry)));
      }
    }
  };

  /**
   * Runs `body` in a transaction on `client`, with the tenant setting when row-level security is
   * on. A connection lost during COMMIT of a write is ambiguous and is not retried.
   */
  const inTransaction = async <T>(
    client: PoolClient,
    tenantSegment: string,
    write: boolean,
    body: (client: PoolClient) => Promise<T>,
  ): Promise<T> => {
    // why: the segment is [a-z0-9-] (checked), so BEGIN and the setting share one round trip.
    await client.query(rls ? `BEGIN; ${setTenantSql(tenantSegment)}` : "BEGIN");
    let result: T;
    try {
      result = await body(client);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
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

  /** A write: always a transaction. */
  const transaction = <T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T> =>
    withClient((client) => inTransaction(client, tenantSegment, true, body));

  /** A read: one statement, in a transaction only when the tenant must be set first. */
  const read = <T>(tenantSegment: string, body: (client: PoolClient) => Promise<T>): Promise<T> =>
    withClient((client) => (rls ? inTransaction(client, tenantSegment, false, body) : body(client)));

  const migrate = async (): Promise<SchemaState> => {
    const state = await withClient(
      (client) => migrateSchema(client, names, { rowLevelSecurity: options.rowLevelSecurity ?? false }),
      false,
    );
    if (state.rlsEnabled) rls = true;
    return state;
  };

  let warnedBypass = false;
  const ready = (): Promise<void> => {
    readyPromise ??= (async () => {
      const state =
        options.autoMigrate === false
          ? await withClient((c) => inspectSchema(c, names), false)
          : await migrate();
      if (state.version === 0) {
        throw new ConfigurationError(
          `The table ${names.plain.schema}.${names.plain.credentials} does not exist and autoMigrate is off. Run migrate() with a role allowed to create it.`,
          {},
          { source: NAME },
        );
      }
      if (state.rlsEnabled) rls = true;
      if (rls && state.bypassesRls && !warnedBypass) {
        warnedBypass = true;
        process.emitWarning(
          "credkit: row-level security is on, but the connected PostgreSQL role is a superuser or has BYPASSRLS, so the policies do not apply to it. Connect as an ordinary role.",
          { code: "CREDKIT_PG_RLS_BYPASSED" },
        );
      }
    })();
    readyPromise.catch(() => {
      readyPromise = undefined;
    });
    return readyPromise;
  };

  const latestSql = `${RECORD_SELECT} FROM ${C} AS r WHERE r.tenant_key = $1 AND r.name_key = $2`;

  const pinnedSql = `SELECT c.deleted_at IS NOT NULL AS deleted, v.version, ${metadataColumns("v")},
      v.encrypted_value, v.value_encoding
    FROM ${C} AS c LEFT JOIN ${V} AS v ON v.credential_id = c.id AND v.version = $3
    WHERE c.tenant_key = $1 AND c.name_key = $2`;

  /** The write statement: upsert (or conditional update), history row, pruning, in one. */
  const writeSql = (ifVersion: number | undefined): string => {
    const assignments = `tenant = $3, name = $4, credential_type = $5, encrypted_value = $6, value_encoding = $7,
        key_id = $8, fingerprints = $9::jsonb, expires_at = $10::timestamptz, created_at = $11::timestamptz,
        updated_at = $12::timestamptz, created_by = $13, version = c.version + 1, deleted_at = NULL`;
    const written =
      ifVersion !== undefined && ifVersion > 0
        ? `UPDATE ${C} AS c SET ${assignments}
           WHERE c.tenant_key = $1 AND c.name_key = $2 AND c.version = $14 AND c.deleted_at IS NULL
           RETURNING c.id, c.version`
        : `INSERT INTO ${C} AS c (tenant_key, name_key, tenant, name, credential_type, encrypted_value,
             value_encoding, key_id, fingerprints, expires_at, created_at, updated_at, created_by, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::timestamptz, $11::timestamptz,
             $12::timestamptz, $13, 1)
           ON CONFLICT (tenant_key, name_key) DO UPDATE SET ${assignments}
           ${ifVersion === 0 ? "WHERE c.deleted_at IS NOT NULL" : ""}
           RETURNING c.id, c.version`;
    const pruning =
      maxVersions > 0
        ? `, pruned AS (
            DELETE FROM ${V} AS v USING written
            WHERE v.credential_id = written.id AND v.version <= written.version - ${maxVersions})`
        : "";
    return `WITH written AS (${written}),
      history AS (
        INSERT INTO ${V} (credential_id, version, tenant_key, tenant, name, credential_type, encrypted_value,
          value_encoding, key_id, fingerprints, expires_at, created_at, updated_at, created_by)
        SELECT written.id, written.version, $1::text, $3::text, $4::text, $5::text, $6::bytea, $7::text,
          $8::text, $9::jsonb, $10::timestamptz, $11::timestamptz, $12::timestamptz, $13::text
        FROM written)${pruning}
      SELECT version FROM written`;
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      batchGet: true,
      consistency: "strong",
      // why: keys live in indexed text columns, far from btree's ~2.7 kB entry limit at this size.
      maxKeyLength: 512,
    },

    migrate,
    pool: getPool,
    schemaSql: () => schemaSql(names, { rowLevelSecurity: options.rowLevelSecurity ?? false }),

    async get(key, getOptions = {}) {
      const { version } = getOptions;
      if (version === undefined) {
        const row = await read(key.tenantSegment, async (client) => {
          const { rows } = await client.query<RecordRow>(latestSql, [key.tenantSegment, key.nameSegment]);
          return rows[0];
        });
        if (!row) return undefined;
        if (row.deleted) throw deletedRecord(NAME, key);
        return recordOf(row);
      }
      if (!Number.isInteger(version) || version < 1) return undefined;
      const row = await read(key.tenantSegment, async (client) => {
        const { rows } = await client.query<RecordRow>(pinnedSql, [
          key.tenantSegment,
          key.nameSegment,
          version,
        ]);
        return rows[0];
      });
      if (!row) return undefined;
      if (row.deleted) throw deletedRecord(NAME, key);
      return row.version === null ? undefined : recordOf(row);
    },

    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        await ready();
      } catch (error) {
        return keys.map(() => error as Error);
      }
      const found = new Map<string, RecordRow>();
      const select = `${RECORD_SELECT}
        FROM ${C} AS r JOIN unnest($1::text[], $2::text[]) AS k (tenant_key, name_key)
          ON r.tenant_key = k.tenant_key AND r.name_key = k.name_key`;
      const readGroup = async (client: PoolClient, group: readonly BackendKey[]) => {
        const { rows } = await client.query<RecordRow>(select, [
          group.map((key) => key.tenantSegment),
          group.map((key) => key.nameSegment),
        ]);
        for (const row of rows) found.set(`${row.tenant_key}--${row.name_key}`, row);
      };
      try {
        await withClient(async (client) => {
          // One statement for the whole batch.
          if (!rls) return readGroup(client, keys);
          // why: the policies show one tenant per transaction setting: one statement per tenant,
          // all in one transaction.
          const byTenant = new Map<string, BackendKey[]>();
          for (const key of keys) {
            const group = byTenant.get(key.tenantSegment);
            if (group) group.push(key);
            else byTenant.set(key.tenantSegment, [key]);
          }
          const [first] = byTenant.keys();
          await inTransaction(client, first as string, false, async () => {
            for (const [tenantSegment, group] of byTenant) {
              if (tenantSegment !== first) await client.query(setTenantSql(tenantSegment));
              await readGroup(client, group);
            }
          });
        });
      } catch (error) {
        const failure = CredkitError.isInstance(error) ? error : postgresError(error, secrets);
        return keys.map(() => failure);
      }
      return keys.map((key) => {
        const row = found.get(key.id);
        if (!row) return undefined;
        if (row.deleted) return deletedRecord(NAME, key);
        return recordOf(row);
      });
    },

    async put(key, write, putOptions = {}) {
      const { ifVersion } = putOptions;
      if (ifVersion !== undefined && (!Number.isInteger(ifVersion) || ifVersion < 0)) {
        throw new ValidationError("ifVersion must be a non-negative integer.", "ifVersion", { source: NAME });
      }
      const { metadata } = write;
      const payload = payloadOf(write.value);
      const parameters: unknown[] = [
        key.tenantSegment,
        key.nameSegment,
        metadata.tenant,
        metadata.name,
        metadata.type,
        payload.bytes,
        payload.encoding,
        metadata.keyId,
        JSON.stringify(metadata.fingerprints ?? {}),
        metadata.expiresAt ?? null,
        metadata.createdAt,
        metadata.updatedAt,
        metadata.createdBy ?? null,
      ];
      if (ifVersion !== undefined && ifVersion > 0) parameters.push(ifVersion);
      const sql = writeSql(ifVersion);
      return transaction(key.tenantSegment, async (client) => {
        const { rows } = await client.query<{ version: number }>(sql, parameters);
        const written = rows[0];
        if (written) return { version: written.version };
        const current = await client.query<{ version: number; deleted: boolean }>(
          `SELECT version, deleted_at IS NOT NULL AS deleted FROM ${C} WHERE tenant_key = $1 AND name_key = $2`,
          [key.tenantSegment, key.nameSegment],
        );
        const row = current.rows[0];
        throw versionConflict(NAME, key, ifVersion ?? 0, !row || row.deleted ? 0 : row.version);
      });
    },

    async delete(key, deleteOptions = {}) {
      const sql = deleteOptions.purge
        ? `DELETE FROM ${C} WHERE tenant_key = $1 AND name_key = $2 RETURNING 1`
        : `UPDATE ${C} SET deleted_at = now() WHERE tenant_key = $1 AND name_key = $2 AND deleted_at IS NULL RETURNING 1`;
      const changed = await transaction(key.tenantSegment, async (client) => {
        const { rowCount } = await client.query(sql, [key.tenantSegment, key.nameSegment]);
        return (rowCount ?? 0) > 0;
      });
      if (!changed) throw missingRecord(NAME, key);
    },

    async restore(key) {
      const found = await transaction(key.tenantSegment, async (client) => {
        const { rowCount } = await client.query(
          `UPDATE ${C} SET deleted_at = NULL WHERE tenant_key = $1 AND name_key = $2 RETURNING 1`,
          [key.tenantSegment, key.nameSegment],
        );
        return (rowCount ?? 0) > 0;
      });
      if (!found) throw missingRecord(NAME, key);
    },

    async list(listOptions: BackendListOptions = {}) {
      const { tenantSegment, cursor, includeDeleted } = listOptions;
      const limit = Math.min(Math.max(1, Math.floor(listOptions.limit ?? DEFAULT_PAGE)), MAX_PAGE);
      await ready();
      if (rls && tenantSegment === undefined) {
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
      const sql = `SELECT ${LIST_COLUMNS} FROM ${C} AS r
        ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
        ORDER BY r.tenant_key, r.name_key LIMIT $${parameters.length}`;
      const rows = await (tenantSegment !== undefined
        ? read(tenantSegment, (client) => client.query<RecordRow>(sql, parameters))
        : withClient((client) => client.query<RecordRow>(sql, parameters))
      ).then((result) => result.rows);
      const page = rows.slice(0, limit);
      const entries: BackendListEntry[] = page.map((row) => ({
        metadata: metadataOf(row),
        version: row.version,
        deleted: row.deleted,
      }));
      const last = page.at(-1);
      return rows.length > limit && last ? { entries, cursor: encodeCursor(last) } : { entries };
    },

    async close() {
      if (closed) return;
      closed = true;
      if (!ownsPool || !poolPromise) return;
      const pool = await poolPromise.catch(() => undefined);
      await pool?.end();
    },
  };
}

export const definition: BackendDefinition = {
  type: "postgres",
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
