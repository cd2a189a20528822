/**
 * A durable audit trail in PostgreSQL. The sink only queues the event's fields (the read path
 * pays a few stores into preallocated columns); a background flush, started on the event loop's
 * next turn once a batch is full or every `flushIntervalMs`, writes queued events in batches of
 * one multi-row insert, and in the same statement adds the batch's successful reads to the per-credential roll-up (access
 * count, last use), so counts are summed across replicas.
 *
 * When the queue is full (`maxQueue`), the NEW event is dropped, counted in `stats().dropped` and
 * handed to `onDrop` (to log elsewhere); events already queued are never discarded. A failed
 * insert keeps its batch at the head of the queue and is retried with backoff. `close()` stops
 * accepting events and flushes what is queued; `flushOnShutdown` calls it on SIGTERM.
 */
import type { Pool } from "pg";
import {
  connectionSecrets,
  type PgModule,
  type PostgresConnectionOptions,
  poolConfigOf,
} from "../../backends/postgres/connection.js";
import { type AuditEvent, type AuditSink, type ReadRecorder, readEvent } from "../../core/audit.js";
import { UnavailableError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
import { backoffDelay, resolveRetryOptions } from "../../core/retry.js";
import { type AuditBatch, AuditQueue } from "./columns.js";
import { type AuditTables, auditTables, migrateAudit } from "./postgres-schema.js";
import { type AuditPage, type AuditQuery, type CredentialUsage, queryAudit, usageOf } from "./query.js";

/** Options of `postgresAuditSink`. */
export interface PostgresAuditSinkOptions
  extends Pick<PostgresConnectionOptions, "connectionString" | "poolConfig" | "applicationName" | "env"> {
  /** A ready pool (the backend's, say). credkit never ends it. By default a pool of 2 is opened. */
  pool?: Pool;
  /**
   * Schema of the tables; created when absent.
   * @default "public"
   */
  schema?: string;
  /**
   * The events table; the roll-up goes to `<table>_usage`.
   * @default "credkit_audit"
   */
  table?: string;
  /**
   * Create the tables on first use. Turn off when the role may not; run `auditSchemaSql()` then.
   * @default true
   */
  autoMigrate?: boolean;
  /**
   * Most events in one insert; a flush starts as soon as this many are queued.
   * @default 1000
   */
  batchSize?: number;
  /**
   * Longest an event waits in the queue before a flush, in milliseconds.
   * @default 200
   */
  flushIntervalMs?: number;
  /**
   * Most events queued. A full queue drops the new event (see `onDrop`).
   * @default 100000
   */
  maxQueue?: number;
  /** Told of each event dropped because the queue was full or the sink closed. */
  onDrop?: (event: AuditEvent) => void;
  /** Told when an insert failed (it is retried) or a closing flush gave up; the cause is scrubbed. */
  onError?: (error: UnavailableError) => void;
  /**
   * The `pg` module, or a function importing it, instead of `import("pg")`.
   * @default import("pg")
   */
  lib?: LibOption<PgModule>;
}

/** Counters of a PostgreSQL audit sink. */
export interface PostgresAuditStats {
  /** Events accepted into the queue. */
  readonly received: number;
  /** Events written. */
  readonly written: number;
  /** Events waiting. */
  readonly queued: number;
  /** Events dropped: queue full, or sent after `close()`. */
  readonly dropped: number;
  /** Inserts that failed (and were retried). */
  readonly failures: number;
}

/** Attempts of the closing flush before it gives up on an unreachable database. */
const CLOSING_ATTEMPTS = 5;

/** The PostgreSQL audit sink: pass `sink` in `audit.sinks`; query, roll-ups, flush and close. */
export class PostgresAuditSink {
  readonly #options: PostgresAuditSinkOptions;
  readonly #tables: AuditTables;
  readonly #batchSize: number;
  readonly #secrets: string[];
  readonly #timer: NodeJS.Timeout;
  #pool: Promise<Pool> | undefined;
  readonly #queue: AuditQueue;
  #draining: Promise<void> | undefined;
  /** Most events queued: `maxQueue`, 0 once closed (every event is then dropped). */
  #capacity: number;
  #scheduled = false;
  #closed = false;
  #counts = { written: 0, dropped: 0, failures: 0, givenUp: 0 };

  constructor(options: PostgresAuditSinkOptions = {}) {
    this.#options = options;
    this.#tables = auditTables(options.schema ?? "public", options.table ?? "credkit_audit");
    this.#batchSize = options.batchSize ?? 1000;
    this.#capacity = options.maxQueue ?? 100_000;
    this.#queue = new AuditQueue(this.#batchSize);
    this.#secrets = connectionSecrets(poolConfigOf(options), options.env ?? process.env);
    this.#timer = setInterval(() => this.#kick(), options.flushIntervalMs ?? 200);
    this.#timer.unref();
  }

  /**
   * The audit sink: queues the event's fields, or drops the event when the queue is full or the
   * sink closed. A successful read comes through `recordRead`, field by field, so the cache hit
   * builds no event object. A whole batch queued starts a flush.
   */
  readonly sink: AuditSink = Object.assign(
    (event: AuditEvent) => {
      if (this.#queue.length >= this.#capacity) this.#drop(event);
      else if (this.#queue.push(event)) this.#batchFilled();
    },
    {
      recordRead: ((time, tenantId, connectionId, accessor, version, cache, correlationId) => {
        if (this.#queue.length >= this.#capacity) {
          this.#drop(readEvent(time, tenantId, connectionId, accessor, version, cache, correlationId));
        } else if (
          this.#queue.pushRead(time, tenantId, connectionId, accessor, version, cache, correlationId)
        ) {
          this.#batchFilled();
        }
      }) satisfies ReadRecorder,
    },
  );

  /** An event the queue does not take (full, or the sink closed): counted and handed to `onDrop`. */
  #drop(event: AuditEvent): void {
    this.#counts.dropped++;
    this.#options.onDrop?.(event);
  }

  /** A batch was filled: a flush starts on the event loop's next turn. */
  #batchFilled(): void {
    if (this.#scheduled) return;
    // why: the insert is built on the event loop's next turn, never inside the caller's read.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#kick();
    }).unref();
  }

  stats(): PostgresAuditStats {
    const { written, dropped, failures, givenUp } = this.#counts;
    const queued = this.#queue.length;
    return { received: written + givenUp + queued, written, queued, dropped, failures };
  }

  /** Writes everything queued so far; resolves when it is stored. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#draining) {
      this.#kick();
      await this.#draining;
    }
  }

  /** Stops accepting events, writes the queue, and ends the pool credkit opened. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#capacity = 0;
    clearInterval(this.#timer);
    await this.flush();
    if (!this.#options.pool && this.#pool) await (await this.#pool).end();
  }

  /** Events matching `query`, newest first, a page at a time. */
  async query(query: AuditQuery = {}): Promise<AuditPage> {
    return queryAudit(await this.#ready(), this.#tables, query);
  }

  /** Access count and last successful read of a credential, over every replica's flushed events. */
  async usage(tenantId: string, connectionId: string): Promise<CredentialUsage> {
    return usageOf(await this.#ready(), this.#tables, tenantId, connectionId);
  }

  #kick(): void {
    if (this.#draining || this.#queue.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    const retry = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 5000 });
    for (let failed = 0; this.#queue.length > 0; ) {
      const batch = this.#queue.oldest() as AuditBatch;
      try {
        await insertBatch(await this.#ready(), this.#tables, batch);
        this.#counts.written += batch.length;
        this.#queue.shift();
        failed = 0;
      } catch (error) {
        this.#counts.failures++;
        failed++;
        this.#report("Audit events could not be written; retrying.", error);
        if (this.#closed && failed >= CLOSING_ATTEMPTS) {
          this.#report(`Closing with ${this.#queue.length} audit events unwritten.`, error);
          this.#giveUp();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(failed, retry)).unref());
      }
    }
  }

  /** Hands every queued event to `onDrop` and empties the queue. */
  #giveUp(): void {
    for (let batch = this.#queue.oldest(); batch; batch = this.#queue.oldest()) {
      for (let index = 0; index < batch.length; index++) this.#options.onDrop?.(batch.event(index));
      this.#counts.givenUp += batch.length;
      this.#queue.shift();
    }
  }

  #report(message: string, cause: unknown): void {
    try {
      this.#options.onError?.(
        new UnavailableError(message, { source: "postgres", cause: scrubError(cause, this.#secrets) }),
      );
    } catch {
      // why: a failing error callback must not stop the flush.
    }
  }

  #ready(): Promise<Pool> {
    this.#pool ??= this.#open();
    this.#pool.catch(() => {
      this.#pool = undefined;
    });
    return this.#pool;
  }

  async #open(): Promise<Pool> {
    let pool = this.#options.pool;
    if (!pool) {
      const lib = await importOptional("pg", "postgresAuditSink", () => import("pg"), this.#options.lib);
      const { Pool: PoolClass } = "default" in lib && lib.default ? lib.default : lib;
      pool = new PoolClass({
        ...poolConfigOf({ applicationName: "credkit-audit", ...this.#options }),
        max: 2,
      });
      pool.on("error", () => undefined);
    }
    if (this.#options.autoMigrate !== false) await migrateAudit(pool, this.#tables);
    return pool;
  }
}

/**
 * The events of `batch` (strings as indexes into one array of the distinct strings: see
 * `AuditBatch.parameters`) and its roll-up of successful reads, in one statement (PostgreSQL runs a
 * data-modifying WITH exactly once, in the same snapshot: both land or neither does).
 */
async function insertBatch(pool: Pool, tables: AuditTables, batch: AuditBatch): Promise<void> {
  const rollup = batch.rollup();
  await pool.query(
    `WITH written AS (
       INSERT INTO ${tables.events}
         (time, tenant, name, accessor, action, outcome, version, cache, error_code, correlation_id)
       SELECT to_timestamp(($16::float8 + e.t) / 1000.0), d.w[e.tenant], d.w[e.name], d.w[e.accessor], d.w[e.action],
              d.w[e.outcome], e.version, d.w[e.cache], d.w[e.error_code], d.w[e.correlation_id]
       FROM (SELECT $1::text[] AS w) AS d,
            unnest($2::float8[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[],
                   $9::int[], $10::int[], $11::int[])
         AS e(t, tenant, name, accessor, action, outcome, version, cache, error_code, correlation_id)
     )
     INSERT INTO ${tables.usage} AS u (tenant, name, access_count, last_used_at)
     SELECT r.tenant, r.name, r.count, to_timestamp(r.last / 1000.0)
     FROM unnest($12::text[], $13::text[], $14::bigint[], $15::float8[]) AS r(tenant, name, count, last)
     ON CONFLICT (tenant, name) DO UPDATE
       SET access_count = u.access_count + excluded.access_count,
           last_used_at = greatest(u.last_used_at, excluded.last_used_at)`,
    [
      ...batch.parameters(),
      rollup.tenantIds,
      rollup.connectionIds,
      rollup.counts,
      rollup.lastTimes,
      batch.baseTime,
    ],
  );
}

/** A PostgreSQL audit sink: `audit: { sinks: [auditSink.sink] }`. */
export function postgresAuditSink(options: PostgresAuditSinkOptions = {}): PostgresAuditSink {
  return new PostgresAuditSink(options);
}
