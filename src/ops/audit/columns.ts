/**
 * The PostgreSQL sink's queue, kept as columns: one array per field, filled by the read path's
 * `record` without building an event object, and handed to the insert as its array parameters
 * as they are. Strings are the caller's own (tenant, name, accessor), so a queued read costs a
 * few pointer pushes and nothing for the garbage collector to trace.
 */
import type { AuditAction, AuditEvent, CacheOutcome, RecordFields } from "../../core/audit.js";

/** Per credential: reads in a batch and the latest read's time. */
export interface UsageRollup {
  readonly tenants: string[];
  readonly names: string[];
  readonly counts: number[];
  readonly lastTimes: number[];
}

export class AuditColumns {
  readonly time: number[] = [];
  readonly tenant: string[] = [];
  readonly name: Array<string | null> = [];
  readonly accessor: string[] = [];
  readonly action: AuditAction[] = [];
  readonly outcome: Array<AuditEvent["outcome"]> = [];
  readonly version: Array<number | null> = [];
  readonly cache: Array<CacheOutcome | null> = [];
  readonly errorCode: Array<string | null> = [];
  readonly correlationId: Array<string | null> = [];

  get length(): number {
    return this.time.length;
  }

  /** Appends one event given field by field. */
  readonly record: RecordFields = (
    time,
    tenant,
    name,
    accessor,
    action,
    outcome,
    version,
    cache,
    errorCode,
    correlationId,
  ) => {
    this.time.push(time);
    this.tenant.push(tenant);
    this.name.push(name ?? null);
    this.accessor.push(accessor);
    this.action.push(action);
    this.outcome.push(outcome);
    this.version.push(version ?? null);
    this.cache.push(cache ?? null);
    this.errorCode.push(errorCode ?? null);
    this.correlationId.push(correlationId ?? null);
  };

  push(event: AuditEvent): void {
    const { time, tenant, name, accessor, action, outcome, version, cache, errorCode, correlationId } = event;
    this.record(time, tenant, name, accessor, action, outcome, version, cache, errorCode, correlationId);
  }

  #columns(): unknown[][] {
    return [
      this.time,
      this.tenant,
      this.name,
      this.accessor,
      this.action,
      this.outcome,
      this.version,
      this.cache,
      this.errorCode,
      this.correlationId,
    ];
  }

  /** The first `count` events, column by column, in the insert's parameter order. */
  head(count: number): unknown[][] {
    return this.#columns().map((column) => column.slice(0, count));
  }

  /** Removes the first `count` events. */
  drop(count: number): void {
    for (const column of this.#columns()) column.splice(0, count);
  }

  /** The event at `index`, rebuilt (for `onDrop`). */
  event(index: number): AuditEvent {
    const [name, version, cache, errorCode, correlationId] = [
      this.name[index],
      this.version[index],
      this.cache[index],
      this.errorCode[index],
      this.correlationId[index],
    ];
    return {
      time: this.time[index] as number,
      tenant: this.tenant[index] as string,
      ...(name != null ? { name } : {}),
      accessor: this.accessor[index] as string,
      action: this.action[index] as AuditAction,
      outcome: this.outcome[index] as AuditEvent["outcome"],
      ...(version != null ? { version } : {}),
      ...(cache != null ? { cache } : {}),
      ...(errorCode != null ? { errorCode: errorCode as AuditEvent["errorCode"] } : {}),
      ...(correlationId != null ? { correlationId } : {}),
    };
  }

  /** The successful reads among the first `count` events, summed per credential. */
  rollup(count: number): UsageRollup {
    const index = new Map<string, number>();
    const rollup: UsageRollup = { tenants: [], names: [], counts: [], lastTimes: [] };
    for (let at = 0; at < count; at++) {
      const name = this.name[at];
      if (this.action[at] !== "read" || this.outcome[at] !== "success" || name == null) continue;
      const tenant = this.tenant[at] as string;
      const time = this.time[at] as number;
      const id = `${tenant.length}:${tenant}${name}`;
      const slot = index.get(id);
      if (slot === undefined) {
        index.set(id, rollup.tenants.length);
        rollup.tenants.push(tenant);
        rollup.names.push(name);
        rollup.counts.push(1);
        rollup.lastTimes.push(time);
      } else {
        rollup.counts[slot] = (rollup.counts[slot] as number) + 1;
        rollup.lastTimes[slot] = Math.max(rollup.lastTimes[slot] as number, time);
      }
    }
    return rollup;
  }
}
