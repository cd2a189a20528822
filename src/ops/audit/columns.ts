/**
 * The PostgreSQL sink's queue: fixed-size batches whose fields are kept in columns. Queuing an event stores its fields at the next slot (the event object itself is not
 * kept, so it dies young and costs the garbage collector nothing); a full batch is handed to the
 * insert whole, so nothing is copied or shifted on the read path.
 */
import type { AuditAction, AuditEvent, CacheOutcome, ReadRecorder } from "../../core/audit.js";

/** Per credential: reads in a batch and the latest read's time. */
export interface UsageRollup {
  readonly tenants: string[];
  readonly names: string[];
  readonly counts: number[];
  readonly lastTimes: number[];
}

/** One batch of queued events, field by field. */
export class AuditBatch {
  // Numbers in typed arrays (NaN: no version) and strings in arrays written by index: a reused
  // batch keeps its room, so refilling it allocates nothing.
  readonly #time: Float64Array;
  readonly #version: Float64Array;
  readonly #tenant: string[] = [];
  readonly #name: Array<string | null> = [];
  readonly #accessor: string[] = [];
  readonly #action: AuditAction[] = [];
  readonly #outcome: Array<AuditEvent["outcome"]> = [];
  readonly #cache: Array<CacheOutcome | null> = [];
  readonly #errorCode: Array<string | null> = [];
  readonly #correlationId: Array<string | null> = [];
  #length = 0;

  constructor(readonly capacity: number) {
    this.#time = new Float64Array(capacity);
    this.#version = new Float64Array(capacity);
  }

  get length(): number {
    return this.#length;
  }

  get full(): boolean {
    return this.#length === this.capacity;
  }

  /** Stores the event's fields in the next slot; the caller checks `full` first. */
  push(event: AuditEvent): void {
    const slot = this.#length++;
    this.#time[slot] = event.time;
    this.#version[slot] = event.version ?? Number.NaN;
    this.#tenant[slot] = event.tenant;
    this.#name[slot] = event.name ?? null;
    this.#accessor[slot] = event.accessor;
    this.#action[slot] = event.action;
    this.#outcome[slot] = event.outcome;
    this.#cache[slot] = event.cache ?? null;
    this.#errorCode[slot] = event.errorCode ?? null;
    this.#correlationId[slot] = event.correlationId ?? null;
  }

  /** Stores a successful read given field by field (no event object); the caller checks `full`. */
  readonly pushRead: ReadRecorder = (time, tenant, name, accessor, version, cache, correlationId) => {
    const slot = this.#length++;
    this.#time[slot] = time;
    this.#version[slot] = version;
    this.#tenant[slot] = tenant;
    this.#name[slot] = name;
    this.#accessor[slot] = accessor;
    this.#action[slot] = "read";
    this.#outcome[slot] = "success";
    this.#cache[slot] = cache;
    this.#errorCode[slot] = null;
    this.#correlationId[slot] = correlationId ?? null;
  };

  /** The first event's time: the times in `parameters()` are milliseconds after it (short numbers to print). */
  get baseTime(): number {
    return this.#length > 0 ? (this.#time[0] as number) : 0;
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.#length = 0;
  }

  /**
   * The queued events as the insert's parameters: the distinct strings (1-based; NULL is 0,
   * which PostgreSQL reads as NULL), then as PostgreSQL array literals the times (ms after
   * `baseTime`), each string
   * column as indexes into the strings, and the versions. A batch of 1,000 reads of one
   * credential sends each string once, and builds one string per column instead of one per value.
   */
  parameters(): unknown[] {
    const count = this.#length;
    const words = new Map<string, number>();
    const indexes = (column: Array<string | null>) => {
      const out = new Array<number>(count);
      // why: runs of one value are the rule (one credential read again and again): compared by
      // reference, a repeat costs no hash lookup.
      let last: string | null | undefined;
      let lastIndex = 0;
      for (let at = 0; at < count; at++) {
        const value = column[at] as string | null;
        if (value !== last) {
          last = value;
          lastIndex = value === null ? 0 : (words.get(value) ?? words.set(value, words.size + 1).size);
        }
        out[at] = lastIndex;
      }
      return `{${out.join(",")}}`;
    };
    const numbers = (column: Float64Array, base: number) => {
      const out = new Array<number | string>(count);
      for (let at = 0; at < count; at++) {
        const value = column[at] as number;
        out[at] = Number.isNaN(value) ? "NULL" : value - base;
      }
      return `{${out.join(",")}}`;
    };
    const columns = [
      numbers(this.#time, this.baseTime),
      indexes(this.#tenant),
      indexes(this.#name),
      indexes(this.#accessor),
      indexes(this.#action),
      indexes(this.#outcome),
      numbers(this.#version, 0),
      indexes(this.#cache),
      indexes(this.#errorCode),
      indexes(this.#correlationId),
    ];
    return [[...words.keys()], ...columns];
  }

  /** The event at `index`, rebuilt (for `onDrop`). */
  event(index: number): AuditEvent {
    const time = this.#time[index] as number;
    const version = Number.isNaN(this.#version[index]) ? null : (this.#version[index] as number);
    const [name, cache, errorCode, correlationId] = [
      this.#name[index],
      this.#cache[index],
      this.#errorCode[index],
      this.#correlationId[index],
    ];
    return {
      time,
      tenant: this.#tenant[index] as string,
      ...(name != null ? { name } : {}),
      accessor: this.#accessor[index] as string,
      action: this.#action[index] as AuditAction,
      outcome: this.#outcome[index] as AuditEvent["outcome"],
      ...(version != null ? { version } : {}),
      ...(cache != null ? { cache } : {}),
      ...(errorCode != null ? { errorCode: errorCode as AuditEvent["errorCode"] } : {}),
      ...(correlationId != null ? { correlationId } : {}),
    };
  }

  /** The successful reads of the batch, summed per credential. */
  rollup(): UsageRollup {
    const index = new Map<string, number>();
    const rollup: UsageRollup = { tenants: [], names: [], counts: [], lastTimes: [] };
    let lastTenant: string | undefined;
    let lastName: string | undefined;
    let lastSlot: number | undefined;
    for (let at = 0; at < this.#length; at++) {
      const name = this.#name[at];
      if (this.#action[at] !== "read" || this.#outcome[at] !== "success" || name == null) continue;
      const tenant = this.#tenant[at] as string;
      const time = this.#time[at] as number;
      // why: the same credential as the previous read (the rule) needs no key string or lookup.
      const id = tenant === lastTenant && name === lastName ? undefined : `${tenant.length}:${tenant}${name}`;
      const slot = id === undefined ? lastSlot : index.get(id);
      lastTenant = tenant;
      lastName = name;
      lastSlot = slot ?? rollup.tenants.length;
      if (slot === undefined) {
        index.set(id as string, rollup.tenants.length);
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

/**
 * Queued events in batches of `batchSize`, oldest batch first. Written batches are kept for reuse
 * (at most as many as the queue once held), so a steady flow of events allocates nothing and the
 * garbage collector never copies a young batch.
 */
export class AuditQueue {
  readonly #batches: AuditBatch[] = [];
  readonly #spares: AuditBatch[] = [];
  readonly #batchSize: number;
  #length = 0;

  constructor(batchSize: number) {
    this.#batchSize = batchSize;
  }

  /** Events queued. */
  get length(): number {
    return this.#length;
  }

  /** Whether a whole batch is waiting (a flush can start). */
  get batchReady(): boolean {
    return this.#batches.length > 1 || this.#batches[0]?.full === true;
  }

  /**
   * The batch the next event goes to (the newest, or a fresh one when that is full), counted as
   * queued: the caller stores exactly one event in it (`push` or `pushRead`).
   */
  next(): AuditBatch {
    let last = this.#batches[this.#batches.length - 1];
    if (last === undefined || last.full) {
      last = this.#fresh();
      this.#batches.push(last);
    }
    this.#length++;
    return last;
  }

  /**
   * The oldest batch, to be written. A partly filled batch is closed first, so events queued
   * while it is written go to a new one.
   */
  oldest(): AuditBatch | undefined {
    const batch = this.#batches[0];
    if (batch && batch.length > 0 && !batch.full && batch === this.#batches[this.#batches.length - 1]) {
      this.#batches.push(this.#fresh());
    }
    return batch;
  }

  /** Removes the oldest batch (written, or given up on). */
  shift(): void {
    const batch = this.#batches.shift();
    if (!batch) return;
    this.#length -= batch.length;
    batch.reset();
    this.#spares.push(batch);
  }

  #fresh(): AuditBatch {
    return this.#spares.pop() ?? new AuditBatch(this.#batchSize);
  }
}
