/**
 * The tables of the PostgreSQL audit sink, created on first use (idempotent, under an advisory
 * lock so replicas starting together do not race):
 *
 *   <table>          one row per audit event, newest last (`id` orders them)
 *   <table>_usage    per credential: access count and last successful read, summed over replicas
 */
import type { Pool } from "pg";
import { quoteIdentifier } from "../../backends/postgres/schema.js";

/** Quoted, schema-qualified names. */
export interface AuditTables {
  readonly schema: string;
  readonly events: string;
  readonly usage: string;
  /** Unquoted events table name, the stem of its index names. */
  readonly table: string;
  /** The advisory lock's key. */
  readonly lockKey: string;
}

/** The qualified names for `schema` and `table`; a bad identifier is a `ConfigurationError`. */
export function auditTables(schema: string, table: string): AuditTables {
  const quotedSchema = quoteIdentifier(schema, "schema");
  return {
    schema: quotedSchema,
    events: `${quotedSchema}.${quoteIdentifier(table, "table")}`,
    usage: `${quotedSchema}.${quoteIdentifier(`${table}_usage`, "table")}`,
    table,
    lockKey: `credkit-audit:${schema}.${table}`,
  };
}

/** The DDL, for operators who create tables with another role. */
export function auditSchemaSql(tables: AuditTables): string {
  const indexOn = (suffix: string, columns: string) =>
    `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${tables.table}_${suffix}`, "table")} ON ${tables.events} (${columns});`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${tables.schema};`,
    `CREATE TABLE IF NOT EXISTS ${tables.events} (
  id bigserial PRIMARY KEY,
  time timestamptz NOT NULL,
  tenant text NOT NULL,
  name text,
  accessor text NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL,
  version integer,
  cache text,
  error_code text,
  correlation_id text
);`,
    indexOn("tenant_time", "tenant, time"),
    indexOn("tenant_name", "tenant, name, id"),
    indexOn("accessor", "accessor, id"),
    indexOn("correlation", "correlation_id"),
    `CREATE TABLE IF NOT EXISTS ${tables.usage} (
  tenant text NOT NULL,
  name text NOT NULL,
  access_count bigint NOT NULL,
  last_used_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, name)
);`,
  ].join("\n");
}

/** Creates the tables when absent. */
export async function migrateAudit(pool: Pool, tables: AuditTables): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [tables.lockKey]);
    await client.query(auditSchemaSql(tables));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
