/**
 * Reading the PostgreSQL audit trail back: events by tenant, credential, connection, accessor,
 * action, outcome, correlation id and time range, newest first, a page at a time with a cursor;
 * and the per-credential roll-up of reads.
 */
import type { Pool } from "pg";
import { accessorOf } from "../../connectors/service/context.js";
import type { AuditAction, AuditEvent } from "../../core/audit.js";
import { ValidationError } from "../../core/errors.js";
import { decodeCursor, encodeCursor, pageLimit } from "../../core/list-paging.js";
import type { AuditTables } from "./postgres-schema.js";

/** What to look for; every field given narrows the result. */
export interface AuditQuery {
  tenantId?: string;
  /** The credential name (the manager's `connectionId` argument). */
  name?: string;
  /** A connection of the connector service: its reads are recorded with accessor `connector_<id>`. */
  connectionId?: string;
  /** Who acted (`accessor` on reads, `actor` on writes). */
  accessor?: string;
  /** One action or several. */
  action?: AuditAction | readonly AuditAction[];
  outcome?: AuditEvent["outcome"];
  correlationId?: string;
  /** From this time on (inclusive). */
  from?: Date;
  /** Before this time (exclusive). */
  to?: Date;
  /**
   * Page size, 1 to 1000.
   * @default 100
   */
  limit?: number;
  /** The `cursor` of the previous page, with the same filters. */
  cursor?: string;
}

/** One page of events, newest first; continue with `cursor` while there is one. */
export interface AuditPage {
  readonly events: AuditEvent[];
  readonly cursor?: string;
}

/** A credential's reads over every replica. */
export interface CredentialUsage {
  readonly accessCount: number;
  readonly lastUsedAt?: Date;
}

interface EventRow {
  id: string;
  time: Date;
  tenant: string;
  name: string | null;
  accessor: string;
  action: AuditAction;
  outcome: AuditEvent["outcome"];
  version: number | null;
  cache: AuditEvent["cache"] | null;
  error_code: AuditEvent["errorCode"] | null;
  correlation_id: string | null;
}

function eventOf(row: EventRow): AuditEvent {
  return {
    time: row.time.getTime(),
    tenant: row.tenant,
    ...(row.name !== null ? { name: row.name } : {}),
    accessor: row.accessor,
    action: row.action,
    outcome: row.outcome,
    ...(row.version !== null ? { version: row.version } : {}),
    ...(row.cache !== null ? { cache: row.cache } : {}),
    ...(row.error_code !== null ? { errorCode: row.error_code } : {}),
    ...(row.correlation_id !== null ? { correlationId: row.correlation_id } : {}),
  };
}

function checkDate(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`${field} must be a valid Date.`, field);
  }
  return value;
}

/** The WHERE clause and its parameters for the filters of `query`. */
function conditions(query: AuditQuery): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (query.tenantId !== undefined) add((p) => `tenant = ${p}`, query.tenantId);
  if (query.name !== undefined) add((p) => `name = ${p}`, query.name);
  if (query.connectionId !== undefined) add((p) => `accessor = ${p}`, accessorOf(query.connectionId));
  if (query.accessor !== undefined) add((p) => `accessor = ${p}`, query.accessor);
  if (query.action !== undefined) add((p) => `action = ANY(${p}::text[])`, [query.action].flat());
  if (query.outcome !== undefined) add((p) => `outcome = ${p}`, query.outcome);
  if (query.correlationId !== undefined) add((p) => `correlation_id = ${p}`, query.correlationId);
  const from = checkDate(query.from, "from");
  const to = checkDate(query.to, "to");
  if (from) add((p) => `time >= ${p}`, from);
  if (to) add((p) => `time < ${p}`, to);
  return { where, params };
}

/** A page of events matching `query`, newest first. */
export async function queryAudit(pool: Pool, tables: AuditTables, query: AuditQuery): Promise<AuditPage> {
  const limit = pageLimit(query.limit);
  const { where, params } = conditions(query);
  // why: a cursor is only valid with the filters it was made for.
  const scope = `audit\0${JSON.stringify(params)}`;
  const after = decodeCursor(scope, query.cursor);
  if (after !== undefined) {
    if (!/^\d{1,19}$/.test(after))
      throw new ValidationError("cursor is not a cursor of this listing.", "cursor");
    params.push(after);
    where.push(`id < $${params.length}::bigint`);
  }
  params.push(limit + 1);
  const { rows } = await pool.query<EventRow>(
    `SELECT id, time, tenant, name, accessor, action, outcome, version, cache, error_code, correlation_id
     FROM ${tables.events} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const events = page.map(eventOf);
  return rows.length > limit && last ? { events, cursor: encodeCursor(scope, last.id) } : { events };
}

/** The roll-up of a credential's successful reads. */
export async function usageOf(
  pool: Pool,
  tables: AuditTables,
  tenantId: string,
  connectionId: string,
): Promise<CredentialUsage> {
  const { rows } = await pool.query<{ access_count: string; last_used_at: Date }>(
    `SELECT access_count, last_used_at FROM ${tables.usage} WHERE tenant = $1 AND name = $2`,
    [tenantId, connectionId],
  );
  const row = rows[0];
  return row ? { accessCount: Number(row.access_count), lastUsedAt: row.last_used_at } : { accessCount: 0 };
}
