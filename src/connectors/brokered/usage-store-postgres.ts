/**
 * `postgresUsageStore`: metered usage in a PostgreSQL table, one row per call, summed in SQL.
 * Nothing connects until the first call; the table is created on first use unless `migrate` is
 * off (then run `schemaSql()` yourself).
 */
import {
  connectionSecrets,
  lazyPool,
  type PgModule,
  type PostgresConnectionOptions,
  poolConfigOf,
} from "../../backends/postgres/connection.js";
import { postgresErrors } from "../../backends/postgres/errors.js";
import { quoteIdentifier } from "../../backends/postgres/schema.js";
import { CredkitError } from "../../core/errors.js";
import type { LibOption } from "../../core/import-optional.js";
import {
  epoch,
  type UsageQuery,
  type UsageRecord,
  type UsageStore,
  type UsageTotals,
} from "./usage-store.js";

/** Options of `postgresUsageStore`: where to connect, and the table. */
export interface PostgresUsageStoreOptions extends PostgresConnectionOptions {
  /** The usage table's name. @default "credkit_usage" */
  table?: string;
  /** Its schema. @default "public" */
  schema?: string;
  /** Create table and index when first used; off when the role may not. @default true */
  migrate?: boolean;
  /** `pg` itself (or its loader), instead of importing it. */
  lib?: LibOption<PgModule>;
}

/** A usage store in PostgreSQL. */
export interface PostgresUsageStore extends UsageStore {
  /** The DDL of the table and its index. */
  schemaSql(): string;
  /** Ends the pool it created (never one passed in). */
  close(): Promise<void>;
}

function tableSql(table: string, index: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      id bigserial PRIMARY KEY,
      time_ms bigint NOT NULL,
      tenant_id text NOT NULL,
      connection_id text NOT NULL,
      provider text NOT NULL,
      key_source text NOT NULL,
      model text,
      input_tokens bigint NOT NULL,
      output_tokens bigint NOT NULL,
      credits double precision NOT NULL,
      cost double precision NOT NULL,
      estimated boolean NOT NULL DEFAULT false
    )`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (tenant_id, time_ms)`,
  ];
}

/** Creates the store. */
export function postgresUsageStore(options: PostgresUsageStoreOptions = {}): PostgresUsageStore {
  const name = options.table ?? "credkit_usage";
  const table = `${quoteIdentifier(options.schema ?? "public", "schema")}.${quoteIdentifier(name, "table")}`;
  const statements = tableSql(table, quoteIdentifier(`${name}_tenant_time`, "table"));
  const secrets = connectionSecrets(
    options.pool ? options.poolConfig : poolConfigOf(options),
    options.env ?? process.env,
  );
  const ladder = postgresErrors("the configured PostgreSQL server");
  const pools = lazyPool(options, "the PostgreSQL usage store");
  let ready: Promise<void> | undefined;

  const query = async <Row extends object>(text: string, values: unknown[]): Promise<Row[]> => {
    try {
      const target = await pools.get();
      if (options.migrate !== false) {
        ready ??= (async () => {
          for (const statement of statements) await target.query(statement);
        })().catch((error) => {
          ready = undefined;
          throw error;
        });
        await ready;
      }
      return (await target.query(text, values)).rows as Row[];
    } catch (error) {
      throw CredkitError.isInstance(error) ? error : ladder(error, "complete the usage store call", secrets);
    }
  };

  return {
    async add(record: UsageRecord) {
      await query(
        `INSERT INTO ${table} (time_ms, tenant_id, connection_id, provider, key_source, model, input_tokens, output_tokens, credits, cost, estimated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          record.time,
          record.tenantId,
          record.connectionId,
          record.provider,
          record.keySource,
          record.model ?? null,
          record.inputTokens,
          record.outputTokens,
          record.credits,
          record.cost,
          record.estimated === true,
        ],
      );
    },
    async totals(filter: UsageQuery = {}): Promise<UsageTotals> {
      const [row] = await query<Record<string, string | number | null>>(
        `SELECT count(*) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,
                coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(credits), 0) AS credits,
                coalesce(sum(cost), 0) AS cost
           FROM ${table}
          WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR connection_id = $2)
            AND ($3::text IS NULL OR provider = $3) AND ($4::text IS NULL OR key_source = $4)
            AND ($5::bigint IS NULL OR time_ms >= $5) AND ($6::bigint IS NULL OR time_ms < $6)`,
        [
          filter.tenantId ?? null,
          filter.connectionId ?? null,
          filter.provider ?? null,
          filter.keySource ?? null,
          epoch(filter.since) ?? null,
          epoch(filter.until) ?? null,
        ],
      );
      return {
        calls: Number(row?.calls ?? 0),
        inputTokens: Number(row?.input_tokens ?? 0),
        outputTokens: Number(row?.output_tokens ?? 0),
        credits: Number(row?.credits ?? 0),
        cost: Number(row?.cost ?? 0),
      };
    },
    schemaSql: () => `${statements.join(";\n")};\n`,
    close: () => pools.end(),
  };
}
