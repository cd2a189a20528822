/**
 * The tables and their versioned migration. Two tables in one schema:
 *
 *   <table>           one row per credential: its current version, payload and metadata, status
 *   <table>_versions  one row per written version (the current one included), for pinned reads
 *
 * plus `<table>_migrations`, the applied migration numbers. `migrate` is idempotent and safe to
 * run from many processes at once: it reads the applied version first (no DDL, no lock when the
 * schema is current) and otherwise applies the missing steps in one transaction under an advisory
 * lock keyed to the schema-qualified table name.
 */
import type { PoolClient } from "pg";
import { ConfigurationError } from "../../core/errors.js";
import { NAME } from "./errors.js";

/** The per-transaction setting row-level security policies compare `tenant_key` with. */
export const TENANT_SETTING = "app.tenant_id";

/** Table names as configured (unquoted). */
export interface TableNames {
  readonly schema: string;
  readonly credentials: string;
  readonly versions: string;
  readonly migrations: string;
}

/** Quoted, schema-qualified names ready for SQL text. */
export interface QualifiedNames {
  readonly schema: string;
  readonly credentials: string;
  readonly versions: string;
  readonly migrations: string;
  /** Unquoted names, for messages. */
  readonly plain: TableNames;
}

/** PostgreSQL truncates identifiers beyond 63 bytes; refuse them rather than collide. */
const MAX_IDENTIFIER_BYTES = 63;

export function quoteIdentifier(identifier: string, option: string): string {
  if (
    identifier === "" ||
    identifier.includes("\0") ||
    Buffer.byteLength(identifier) > MAX_IDENTIFIER_BYTES
  ) {
    throw new ConfigurationError(
      `The \`${option}\` option must be a PostgreSQL identifier of 1 to ${MAX_IDENTIFIER_BYTES} bytes.`,
      { missing: [option] },
      { source: NAME },
    );
  }
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function qualify(names: TableNames): QualifiedNames {
  const schema = quoteIdentifier(names.schema, "schema");
  return {
    schema,
    credentials: `${schema}.${quoteIdentifier(names.credentials, "table")}`,
    versions: `${schema}.${quoteIdentifier(names.versions, "versionsTable")}`,
    migrations: `${schema}.${quoteIdentifier(names.migrations, "table")}`,
    plain: names,
  };
}

/** One step of the schema's history. Steps are never edited once released; new ones are appended. */
interface Migration {
  readonly version: number;
  readonly description: string;
  statements(names: QualifiedNames): string[];
}

/** Columns a credential row and a version row share: the payload and its metadata. */
const RECORD_COLUMNS = `tenant text NOT NULL,
        name text NOT NULL,
        credential_type text NOT NULL,
        encrypted_value bytea NOT NULL,
        value_encoding text NOT NULL CHECK (value_encoding IN ('base64', 'utf8')),
        key_id text,
        fingerprints jsonb NOT NULL DEFAULT '{}'::jsonb,
        expires_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        created_by text`;

const tenantMatches = `tenant_key = current_setting('${TENANT_SETTING}', true)`;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "credentials and versions tables, tenant isolation policies",
    statements: ({ credentials, versions }) => [
      `CREATE TABLE ${credentials} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_key text COLLATE "C" NOT NULL,
        name_key text COLLATE "C" NOT NULL,
        ${RECORD_COLUMNS},
        version integer NOT NULL CHECK (version > 0),
        status text GENERATED ALWAYS AS (CASE WHEN deleted_at IS NULL THEN 'active' ELSE 'deleted' END) STORED,
        deleted_at timestamptz,
        UNIQUE (tenant_key, name_key)
      )`,
      `CREATE TABLE ${versions} (
        credential_id bigint NOT NULL REFERENCES ${credentials} (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        tenant_key text COLLATE "C" NOT NULL,
        ${RECORD_COLUMNS},
        PRIMARY KEY (credential_id, version)
      )`,
      // why: policies exist from the start but act only once row-level security is enabled
      // (rowLevelSecurity: true, or ALTER TABLE … ENABLE/FORCE ROW LEVEL SECURITY by hand).
      `CREATE POLICY credkit_tenant_isolation ON ${credentials} USING (${tenantMatches}) WITH CHECK (${tenantMatches})`,
      `CREATE POLICY credkit_tenant_isolation ON ${versions} USING (${tenantMatches}) WITH CHECK (${tenantMatches})`,
    ],
  },
  {
    version: 2,
    description: "masked forms of field values beside their fingerprints",
    statements: ({ credentials, versions }) => [
      `ALTER TABLE ${credentials} ADD COLUMN masked jsonb`,
      `ALTER TABLE ${versions} ADD COLUMN masked jsonb`,
    ],
  },
];

/** The schema version this code needs. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/** What the database holds, as seen by the connected role. */
export interface SchemaState {
  /** Highest applied migration; 0 before the first. */
  readonly version: number;
  /** Row-level security is enabled on the credentials table. */
  readonly rlsEnabled: boolean;
  /** …and forced, so the table owner is subject to it too. */
  readonly rlsForced: boolean;
  /** The connected role is a superuser or has BYPASSRLS: policies never apply to it. */
  readonly bypassesRls: boolean;
}

export async function inspectSchema(client: PoolClient, names: QualifiedNames): Promise<SchemaState> {
  const { rows } = await client.query<{
    has_migrations: boolean;
    rls_enabled: boolean;
    rls_forced: boolean;
    bypasses_rls: boolean;
  }>(
    `SELECT to_regclass($1) IS NOT NULL AS has_migrations,
            coalesce((SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass($2)), false) AS rls_enabled,
            coalesce((SELECT relforcerowsecurity FROM pg_class WHERE oid = to_regclass($2)), false) AS rls_forced,
            coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user), false) AS bypasses_rls`,
    [names.migrations, names.credentials],
  );
  const row = rows[0] as (typeof rows)[number];
  let version = 0;
  if (row.has_migrations) {
    const applied = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${names.migrations}`,
    );
    version = applied.rows[0]?.version ?? 0;
  }
  return {
    version,
    rlsEnabled: row.rls_enabled,
    rlsForced: row.rls_forced,
    bypassesRls: row.bypasses_rls,
  };
}

function migrationsTable(names: QualifiedNames): string {
  return `CREATE TABLE IF NOT EXISTS ${names.migrations} (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
}

function isCurrent(state: SchemaState, rowLevelSecurity: boolean): boolean {
  return state.version >= SCHEMA_VERSION && (!rowLevelSecurity || (state.rlsEnabled && state.rlsForced));
}

/**
 * Brings the schema up to date on `client`. Returns the resulting state. Runs DDL only when
 * something is missing; concurrent callers serialise on an advisory lock and the later ones find
 * nothing left to do.
 */
export async function migrateSchema(
  client: PoolClient,
  names: QualifiedNames,
  options: { rowLevelSecurity: boolean },
): Promise<SchemaState> {
  const before = await inspectSchema(client, names);
  if (isCurrent(before, options.rowLevelSecurity)) return before;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `credkit.migrate:${names.credentials}`,
    ]);
    const schemaExists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [
      names.plain.schema,
    ]);
    // why: CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database; skip it when present.
    if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.schema}`);
    await client.query(migrationsTable(names));
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${names.migrations}`);
    const done = new Set(applied.rows.map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements(names)) await client.query(statement);
      await client.query(`INSERT INTO ${names.migrations} (version, description) VALUES ($1, $2)`, [
        migration.version,
        migration.description,
      ]);
    }
    if (options.rowLevelSecurity) {
      const state = await inspectSchema(client, names);
      if (!state.rlsEnabled || !state.rlsForced) {
        for (const table of [names.credentials, names.versions]) {
          await client.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
        }
      }
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return inspectSchema(client, names);
}

/** The SQL `migrate` would run on an empty database, for teams that apply DDL with their own tools. */
export function schemaSql(names: QualifiedNames, options: { rowLevelSecurity?: boolean } = {}): string {
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${names.schema}`, migrationsTable(names)];
  for (const migration of MIGRATIONS) {
    statements.push(...migration.statements(names));
    statements.push(
      `INSERT INTO ${names.migrations} (version, description) VALUES (${migration.version}, '${migration.description.replaceAll("'", "''")}')`,
    );
  }
  if (options.rowLevelSecurity) {
    for (const table of [names.credentials, names.versions]) {
      statements.push(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
    }
  }
  return `${statements.map((statement) => statement.replace(/\n {6}/g, "\n")).join(";\n\n")};\n`;
}
