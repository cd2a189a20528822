/**
 * Where metered usage is kept: one small interface, an in-memory store (this process only) and
 * a PostgreSQL store (`usage-store-postgres.ts`). A store records one row per call and answers
 * sums by tenant, connection, provider and period.
 */
import type { KeySource } from "./key-policy.js";

/** One metered call. */
export interface UsageRecord {
  /** Epoch milliseconds of the response. */
  readonly time: number;
  readonly tenantId: string;
  /** The credential the call used (the platform's connection for a platform key). */
  readonly connectionId: string;
  /** Connector id, e.g. `openai`. */
  readonly provider: string;
  readonly keySource: KeySource;
  readonly model?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly credits: number;
  /** Money, in the unit of the operator's price table; 0 without a price. */
  readonly cost: number;
  /**
   * True when the response did not report usage (a stream, an unparsable body) and the
   * reservation was charged instead.
   */
  readonly estimated?: boolean;
}

/** Which records to sum. Every field narrows; none means everything. */
export interface UsageQuery {
  readonly tenantId?: string;
  readonly connectionId?: string;
  readonly provider?: string;
  readonly keySource?: KeySource;
  /** From this time, inclusive (epoch ms or Date). */
  readonly since?: number | Date;
  /** Up to this time, exclusive (epoch ms or Date). */
  readonly until?: number | Date;
}

/** Sums over the records a query matched. */
export interface UsageTotals {
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly credits: number;
  readonly cost: number;
}

/** Keeps usage records and sums them. */
export interface UsageStore {
  /** Records one call. */
  add(record: UsageRecord): Promise<void>;
  /** Sums the records that match. */
  totals(query?: UsageQuery): Promise<UsageTotals>;
  /** Releases what the store holds (connections). */
  close?(): Promise<void>;
}

/** Epoch milliseconds of a query bound. */
export function epoch(value: number | Date | undefined): number | undefined {
  return value instanceof Date ? value.getTime() : value;
}

/** Whether a record matches a query. */
export function matches(record: UsageRecord, query: UsageQuery): boolean {
  const since = epoch(query.since);
  const until = epoch(query.until);
  return (
    (query.tenantId === undefined || record.tenantId === query.tenantId) &&
    (query.connectionId === undefined || record.connectionId === query.connectionId) &&
    (query.provider === undefined || record.provider === query.provider) &&
    (query.keySource === undefined || record.keySource === query.keySource) &&
    (since === undefined || record.time >= since) &&
    (until === undefined || record.time < until)
  );
}

/** Usage kept in this process's memory: for development, tests and single-process services. */
export class MemoryUsageStore implements UsageStore {
  readonly #records: UsageRecord[] = [];

  async add(record: UsageRecord): Promise<void> {
    this.#records.push(Object.freeze({ ...record }));
  }

  async totals(query: UsageQuery = {}): Promise<UsageTotals> {
    let calls = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    let credits = 0;
    let cost = 0;
    for (const record of this.#records) {
      if (!matches(record, query)) continue;
      calls++;
      inputTokens += record.inputTokens;
      outputTokens += record.outputTokens;
      credits += record.credits;
      cost += record.cost;
    }
    return { calls, inputTokens, outputTokens, credits, cost };
  }

  /** Every record that matches, oldest first (copies). */
  records(query: UsageQuery = {}): UsageRecord[] {
    return this.#records.filter((record) => matches(record, query));
  }
}
