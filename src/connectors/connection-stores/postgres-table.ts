/**
 * The table of `postgresConnectionStore`, with the `org_integrations` columns: id, tenant,
 * provider, status, config, validated_at, error_message, created/updated at/by, plus `revision`
 * (compare-and-set) and `details` (name, secret references, owned secrets, status history).
 * With row-level security, a policy lets a transaction see and write only the rows of the tenant
 * it set in `app.tenant_id`.
 */
import type { ConnectionRecord } from "../connection-store.js";

/** The per-transaction setting the row-level security policy compares `tenant` with. */
export const TENANT_SETTING = "app.tenant_id";

/** The statements that create the table (idempotent), and enable row-level security if asked. */
export function tableSql(table: string, options: { rowLevelSecurity: boolean }): string[] {
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${table} (
      tenant text NOT NULL,
      id text NOT NULL,
      provider text NOT NULL,
      status text NOT NULL,
      config jsonb NOT NULL,
      validated_at timestamptz,
      error_message text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      created_by text,
      updated_by text,
      revision integer NOT NULL CHECK (revision > 0),
      details jsonb NOT NULL,
      PRIMARY KEY (tenant, id)
    )`,
  ];
  if (options.rowLevelSecurity) {
    const matches = `tenant = current_setting('${TENANT_SETTING}', true)`;
    statements.push(
      `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`,
      `DROP POLICY IF EXISTS credkit_tenant_isolation ON ${table}`,
      `CREATE POLICY credkit_tenant_isolation ON ${table} USING (${matches}) WITH CHECK (${matches})`,
    );
  }
  return statements;
}

/** A row as selected (`SELECT_COLUMNS`). */
export interface ConnectionRow {
  id: string;
  tenant: string;
  provider: string;
  status: ConnectionRecord["status"];
  config: ConnectionRecord["configuration"];
  validated_at: Date | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
  revision: number;
  details: Details;
}

/** The columns every read selects. */
export const SELECT_COLUMNS =
  "id, tenant, provider, status, config, validated_at, error_message, created_at, updated_at, revision, details";

type Details = Pick<
  ConnectionRecord,
  | "instanceName"
  | "secretsReferences"
  | "ownedSecrets"
  | "validatedVersions"
  | "statusReason"
  | "lastTransitionAt"
  | "history"
>;

/** The parameters of an insert or update, in column order (tenant and id first). */
export function rowValues(record: ConnectionRecord, actor: string | undefined): unknown[] {
  const details: Details = {
    instanceName: record.instanceName,
    secretsReferences: record.secretsReferences,
    ownedSecrets: record.ownedSecrets,
    ...(record.validatedVersions !== undefined ? { validatedVersions: record.validatedVersions } : {}),
    statusReason: record.statusReason,
    lastTransitionAt: record.lastTransitionAt,
    history: record.history,
  };
  return [
    record.tenantId,
    record.id,
    record.connector,
    record.status,
    JSON.stringify(record.configuration),
    record.validatedAt ?? null,
    record.errorMessage ?? null,
    record.createdAt,
    record.updatedAt,
    actor ?? null,
    record.revision,
    JSON.stringify(details),
  ];
}

/** The record a row holds. */
export function recordOf(row: ConnectionRow): ConnectionRecord {
  const { details } = row;
  return {
    id: row.id,
    tenantId: row.tenant,
    connector: row.provider,
    instanceName: details.instanceName,
    configuration: row.config,
    secretsReferences: details.secretsReferences,
    ownedSecrets: details.ownedSecrets,
    ...(details.validatedVersions !== undefined ? { validatedVersions: details.validatedVersions } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    revision: row.revision,
    status: row.status,
    statusReason: details.statusReason,
    ...(row.validated_at ? { validatedAt: row.validated_at.toISOString() } : {}),
    ...(row.error_message !== null ? { errorMessage: row.error_message } : {}),
    lastTransitionAt: details.lastTransitionAt,
    history: details.history,
  };
}
