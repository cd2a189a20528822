/**
 * `postgresConnectionStore`: integrations in a PostgreSQL table for teams that want SQL over them
 * (`org_integrations` columns; see `postgres-table.ts`). Compare-and-set on `revision`
 * is one conditional statement; with `rowLevelSecurity`, every call runs in a transaction that
 * first sets `app.tenant_id`, and a policy hides (and refuses) every other tenant's rows.
 */
import type { PoolClient } from "pg";
import {
  connectionSecrets,
  lazyPool,
  type PgModule,
  type PostgresConnectionOptions,
  poolConfigOf,
} from "../../backends/postgres/connection.js";
import { postgresErrors } from "../../backends/postgres/errors.js";
import { quoteIdentifier } from "../../backends/postgres/schema.js";
import { ConflictError, CredkitError } from "../../core/errors.js";
import type { LibOption } from "../../core/import-optional.js";
import type { ConnectionStore } from "../connection-store.js";
import { compareIds, decodeCursor, encodeCursor, pageLimit } from "./paging.js";
import {
  type ConnectionRow,
  recordOf,
  rowValues,
  SELECT_COLUMNS,
  TENANT_SETTING,
  tableSql,
} from "./postgres-table.js";

/** Options of `postgresConnectionStore`. */
export interface PostgresConnectionStoreOptions extends PostgresConnectionOptions {
  /** Table name. @default "org_integrations" */
  table?: string | undefined;
  /** Schema of the table. @default "public" */
  schema?: string | undefined;
  /**
   * Create the table on first use. Turn off when the application's role may not create tables
   * (then run `schemaSql()` yourself).
   * @default true
   */
  migrate?: boolean | undefined;
  /** Enable row-level security on the table and set `app.tenant_id` in every transaction. @default false */
  rowLevelSecurity?: boolean | undefined;
  /** Recorded in `created_by` / `updated_by`. */
  actor?: string | undefined;
  /** The `pg` module, or a function that loads it, instead of importing the package. */
  lib?: LibOption<PgModule> | undefined;
}

/** The store, plus what its owner needs: the DDL and closing the pool it created. */
export interface PostgresConnectionStore extends ConnectionStore {
  /** The statements that create the table (and its policy). */
  schemaSql(): string;
  /** Ends the pool, if the store created it. */
  close(): Promise<void>;
}

/** Creates the store. Nothing connects until the first call. */
export function postgresConnectionStore(
  options: PostgresConnectionStoreOptions = {},
): PostgresConnectionStore {
  const env = options.env ?? process.env;
  const table = `${quoteIdentifier(options.schema ?? "public", "schema")}.${quoteIdentifier(options.table ?? "org_integrations", "table")}`;
  const rowLevelSecurity = options.rowLevelSecurity ?? false;
  const statements = tableSql(table, { rowLevelSecurity });
  const poolConfig = options.pool ? undefined : poolConfigOf(options);
  const secrets = connectionSecrets(poolConfig ?? options.poolConfig, env);
  const ladder = postgresErrors("the configured PostgreSQL server");
  const pools = lazyPool(options, "the PostgreSQL connection store");
  let ready: Promise<void> | undefined;

  async function migrate(client: PoolClient): Promise<void> {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [table]);
      for (const statement of statements) await client.query(statement);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  /** Runs `work` on one connection, in a transaction scoped to the tenant when RLS is on. */
  async function withTenant<T>(tenantId: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      const client = await (await pools.get()).connect();
      try {
        if (options.migrate !== false) {
          ready ??= migrate(client).catch((error) => {
            ready = undefined;
            throw error;
          });
          await ready;
        }
        if (!rowLevelSecurity) return await work(client);
        await client.query("BEGIN");
        try {
          await client.query("SELECT set_config($1, $2, true)", [TENANT_SETTING, tenantId]);
          const result = await work(client);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      } finally {
        client.release();
      }
    } catch (error) {
      throw CredkitError.isInstance(error)
        ? error
        : ladder(error, "complete the connection store call", secrets);
    }
  }

  return {
    get: (tenantId, id) =>
      withTenant(tenantId, async (client) => {
        const { rows } = await client.query<ConnectionRow>(
          `SELECT ${SELECT_COLUMNS} FROM ${table} WHERE tenant = $1 AND id = $2`,
          [tenantId, id],
        );
        return rows[0] && recordOf(rows[0]);
      }),
    async list(tenantId, listOptions) {
      const limit = pageLimit(listOptions);
      const after = decodeCursor(listOptions);
      const rows = await withTenant(tenantId, async (client) => {
        const result = await client.query<ConnectionRow>(
          `SELECT ${SELECT_COLUMNS} FROM ${table} WHERE tenant = $1 AND ($2::text IS NULL OR id > $2 COLLATE "C")
           ORDER BY id COLLATE "C" LIMIT $3`,
          [tenantId, after ?? null, limit + 1],
        );
        return result.rows;
      });
      // The same order as every store: by UTF-16 code units.
      const items = rows.map(recordOf).sort((a, b) => compareIds(a.id, b.id));
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return items.length > limit && last ? { items: page, cursor: encodeCursor(last.id) } : { items: page };
    },
    put: (record, expectedRevision) =>
      withTenant(record.tenantId, async (client) => {
        const values = rowValues(record, options.actor);
        const written =
          expectedRevision === 0
            ? await client.query(
                `INSERT INTO ${table} (tenant, id, provider, status, config, validated_at, error_message, created_at, updated_at, created_by, updated_by, revision, details)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12) ON CONFLICT (tenant, id) DO NOTHING`,
                values,
              )
            : await client.query(
                `UPDATE ${table} SET provider = $3, status = $4, config = $5, validated_at = $6, error_message = $7,
                   created_at = $8, updated_at = $9, updated_by = $10, revision = $11, details = $12
                 WHERE tenant = $1 AND id = $2 AND revision = $13`,
                [...values, expectedRevision],
              );
        if (written.rowCount === 1) return;
        const current = await client.query<{ revision: number }>(
          `SELECT revision FROM ${table} WHERE tenant = $1 AND id = $2`,
          [record.tenantId, record.id],
        );
        throw new ConflictError(
          `Connection "${record.id}" is at revision ${current.rows[0]?.revision ?? 0}, not ${expectedRevision}.`,
          expectedRevision,
        );
      }),
    delete: (tenantId, id) =>
      withTenant(tenantId, async (client) => {
        const result = await client.query(`DELETE FROM ${table} WHERE tenant = $1 AND id = $2`, [
          tenantId,
          id,
        ]);
        return result.rowCount === 1;
      }),
    schemaSql: () => `${statements.join(";\n")};\n`,
    close: () => pools.end(),
  };
}
