/**
 * The SQL of each operation, built once per backend from its table names. A write is one
 * statement: an upsert that bumps `version` under the row lock (with the `ifVersion` condition in
 * its `WHERE`), the history insert and the pruning of old versions, as data-modifying CTEs.
 */
import { createHash } from "node:crypto";
import type { QueryConfig } from "pg";
import type { BackendWrite } from "../../core/backend.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { LIST_COLUMNS, metadataColumns, payloadOf, RECORD_SELECT } from "./rows.js";
import type { QualifiedNames } from "./schema.js";

/** The columns a write sets, after the key columns ($1, $2), in parameter order ($3…$14). */
const WRITTEN = [
  ["tenant", "text"],
  ["name", "text"],
  ["credential_type", "text"],
  ["encrypted_value", "bytea"],
  ["value_encoding", "text"],
  ["key_id", "text"],
  ["fingerprints", "jsonb"],
  ["masked", "jsonb"],
  ["expires_at", "timestamptz"],
  ["created_at", "timestamptz"],
  ["updated_at", "timestamptz"],
  ["created_by", "text"],
] as const;
const IF_VERSION_PARAMETER = `$${WRITTEN.length + 3}`;

const placeholders = WRITTEN.map(([, type], index) => `$${index + 3}::${type}`).join(", ");
const columns = WRITTEN.map(([column]) => column).join(", ");
const assignments = `${WRITTEN.map(([column, type], index) => `${column} = $${index + 3}::${type}`).join(", ")},
  version = c.version + 1, deleted_at = NULL`;

/**
 * A read statement: prepared under a name derived from its text (PostgreSQL then parses and plans
 * it once per connection, not on every read; two schemas never share a name), or unnamed when
 * preparing is off.
 */
export interface ReadStatement {
  readonly text: string;
  readonly name: string | undefined;
}

function readStatement(text: string, prepare: boolean): ReadStatement {
  const name = prepare
    ? `credkit_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`
    : undefined;
  return { text, name };
}

/** The query `statement` runs with `values`: a fresh config, since pg writes `values` into the one it gets. */
export function queryOf(statement: ReadStatement, values: unknown[]): QueryConfig {
  return { text: statement.text, name: statement.name, values };
}

/** The parameters of a write, in the order of `WRITTEN`, plus `ifVersion` when it is positive. */
export function writeParameters(
  key: BackendKey,
  write: BackendWrite,
  ifVersion: number | undefined,
): unknown[] {
  const { metadata } = write;
  const payload = payloadOf(write.value);
  const parameters: unknown[] = [
    key.tenantSegment,
    key.connectionSegment,
    metadata.tenant,
    metadata.name,
    metadata.type,
    payload.bytes,
    payload.encoding,
    metadata.keyId,
    JSON.stringify(metadata.fingerprints ?? {}),
    metadata.masked === undefined ? null : JSON.stringify(metadata.masked),
    metadata.expiresAt ?? null,
    metadata.createdAt,
    metadata.updatedAt,
    metadata.createdBy ?? null,
  ];
  if (ifVersion !== undefined && ifVersion > 0) parameters.push(ifVersion);
  return parameters;
}

/** Every statement of one backend. */
export function statementsFor(names: QualifiedNames, maxVersions: number | undefined, prepare: boolean) {
  const { credentials: C, versions: V } = names;
  const pruning =
    maxVersions === undefined
      ? ""
      : `, pruned AS (
          DELETE FROM ${V} AS v USING written
          WHERE v.credential_id = written.id AND v.version <= written.version - ${maxVersions})`;
  /** Upsert (or conditional update), history row and pruning, in one statement. */
  const write = (ifVersion: number | undefined): string => {
    const written =
      ifVersion !== undefined && ifVersion > 0
        ? `UPDATE ${C} AS c SET ${assignments}
           WHERE c.tenant_key = $1 AND c.name_key = $2 AND c.version = ${IF_VERSION_PARAMETER} AND c.deleted_at IS NULL
           RETURNING c.id, c.version`
        : `INSERT INTO ${C} AS c (tenant_key, name_key, ${columns}, version)
           VALUES ($1, $2, ${placeholders}, 1)
           ON CONFLICT (tenant_key, name_key) DO UPDATE SET ${assignments}
           ${ifVersion === 0 ? "WHERE c.deleted_at IS NOT NULL" : ""}
           RETURNING c.id, c.version`;
    return `WITH written AS (${written}),
      history AS (
        INSERT INTO ${V} (credential_id, version, tenant_key, ${columns})
        SELECT written.id, written.version, $1::text, ${placeholders} FROM written)${pruning}
      SELECT version FROM written`;
  };
  return {
    write,
    latest: readStatement(
      `${RECORD_SELECT} FROM ${C} AS r WHERE r.tenant_key = $1 AND r.name_key = $2`,
      prepare,
    ),
    pinned: readStatement(
      `SELECT c.deleted_at IS NOT NULL AS deleted, v.version, ${metadataColumns("v")},
        v.encrypted_value, v.value_encoding
      FROM ${C} AS c LEFT JOIN ${V} AS v ON v.credential_id = c.id AND v.version = $3
      WHERE c.tenant_key = $1 AND c.name_key = $2`,
      prepare,
    ),
    batch: readStatement(
      `${RECORD_SELECT}
      FROM ${C} AS r JOIN unnest($1::text[], $2::text[]) AS k (tenant_key, name_key)
        ON r.tenant_key = k.tenant_key AND r.name_key = k.name_key`,
      prepare,
    ),
    current: `SELECT version, deleted_at IS NOT NULL AS deleted FROM ${C} WHERE tenant_key = $1 AND name_key = $2`,
    softDelete: `UPDATE ${C} SET deleted_at = now() WHERE tenant_key = $1 AND name_key = $2 AND deleted_at IS NULL RETURNING 1`,
    purge: `DELETE FROM ${C} WHERE tenant_key = $1 AND name_key = $2 RETURNING 1`,
    restore: `UPDATE ${C} SET deleted_at = NULL WHERE tenant_key = $1 AND name_key = $2 RETURNING 1`,
    /** A page of rows after the conditions; `limit` is the last parameter. */
    list: (conditions: readonly string[], limitParameter: number) => `SELECT ${LIST_COLUMNS} FROM ${C} AS r
      ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
      ORDER BY r.tenant_key, r.name_key LIMIT $${limitParameter}`,
  };
}

export type Statements = ReturnType<typeof statementsFor>;
