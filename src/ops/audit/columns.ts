/**
 * The PostgreSQL sink's queue: fixed-size batches whose fields are kept in columns. Queuing an event stores its fields at the next slot (the event object itself is not
 * kept, so it dies young and costs the garbage collector nothing); a full batch is handed to the
 * insert whole, so nothing is copied or shifted on the read path.
 */
import type { AuditAction, AuditEvent, CacheOutcome, ReadRecorder } from "../../core/audit.js";

/** Queues a successful read given field by field; true when that filled a batch (a flush can start). */
type ReadQueuer = (...read: Parameters<ReadRecorder>) => boolean;

/** Per credential: reads in a batch and the latest read's time. */
export interface UsageRollup {
  readonly tenantIds: string[];
  readonly connectionIds: string[];
  readonly counts: number[];
  readonly lastTimes: number[];
}

/**
 * The fields events share, interned: a batch stores one small id per event for all of them. The
 * correlation id is not among them: it is most often one per request, so it has a column of its own.
 */
class EventFields {
  constructor(
    readonly tenantId: string,
    readonly connectionId: string | null,
    readonly accessor: string,
    readonly action: AuditAction,
    readonly outcome: AuditEvent["outcome"],
    readonly cache: CacheOutcome | null,
    readonly errorCode: string | null,
  ) {}

  /**
   * Whether these fields, those of a successful read (see `AuditBatch.pushRead`), are the read's
   * given (compared by reference).
   */
  isRead(tenantId: string, connectionId: string, accessor: string, cache: CacheOutcome): boolean {
    return (
      this.connectionId === connectionId &&
      this.tenantId === tenantId &&
      this.accessor === accessor &&
      this.cache === cache
    );
  }

  /** The strings in insert column order (after time): tenant, name, accessor, action, outcome, then cache, error code. */
  strings(): Array<string | null> {
    return [
      this.tenantId,
      this.connectionId,
      this.accessor,
      this.action,
      this.outcome,
      this.cache,
      this.errorCode,
    ];
  }
}

/** Fields no read has (a read always has a name): the latest read's before any read. */
const NO_READ = new EventFields("", null, "", "read", "success", null, null);

/**
 * One batch of queued events: per event its time, version and the id of its interned string
 * fields. A read costs three stores into typed arrays, and a run of reads of one credential by
 * one accessor (the rule) looks nothing up; the rows are rebuilt at flush.
 */
export class AuditBatch {
  readonly #time: Float64Array;
  /** NaN: no version. */
  readonly #version: Float64Array;
  readonly #fields: Int32Array;
  readonly #correlationIds: Array<string | null>;
  readonly #interned: EventFields[] = [];
  readonly #ids = new Map<string, number>();
  /** The fields of the latest successful read and their id: the next read most often has the same. */
  #lastRead = NO_READ;
  #lastReadId = 0;
  #length = 0;

  constructor(readonly capacity: number) {
    this.#time = new Float64Array(capacity);
    this.#version = new Float64Array(capacity);
    this.#fields = new Int32Array(capacity);
    this.#correlationIds = new Array<string | null>(capacity).fill(null);
  }

  get length(): number {
    return this.#length;
  }

  /** Stores the event's fields in the next slot (the batch must not be full); true when that filled it. */
  push(event: AuditEvent): boolean {
    const slot = this.#length++;
    this.#time[slot] = event.time;
    this.#version[slot] = event.version ?? Number.NaN;
    this.#fields[slot] = this.#intern(
      new EventFields(
        event.tenant,
        event.name ?? null,
        event.accessor,
        event.action,
        event.outcome,
        event.cache ?? null,
        event.errorCode ?? null,
      ),
    );
    this.#correlationIds[slot] = event.correlationId ?? null;
    return this.#length === this.capacity;
  }

  /**
   * The id of a successful read's fields: the latest read's when they are the same (compared by
   * reference, no lookup), else their interned id.
   */
  readId(tenantId: string, connectionId: string, accessor: string, cache: CacheOutcome): number {
    if (!this.#lastRead.isRead(tenantId, connectionId, accessor, cache)) {
      this.#lastRead = new EventFields(tenantId, connectionId, accessor, "read", "success", cache, null);
      this.#lastReadId = this.#intern(this.#lastRead);
    }
    return this.#lastReadId;
  }

  /**
   * Stores a successful read (its time, version, the `readId` of its fields and its correlation
   * id) in the next slot; the batch must not be full. True when that filled it.
   */
  pushRead(time: number, version: number, fields: number, correlationId: string | null): boolean {
    const slot = this.#length++;
    this.#time[slot] = time;
    this.#version[slot] = version;
    this.#fields[slot] = fields;
    this.#correlationIds[slot] = correlationId;
    return this.#length === this.capacity;
  }

  /** The id of `fields` (a new one for fields not seen yet). */
  #intern(fields: EventFields): number {
    const key = JSON.stringify(fields.strings());
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#interned.push(fields) - 1;
      this.#ids.set(key, id);
    }
    return id;
  }

  /** The first event's time: the times in `parameters()` are milliseconds after it (short numbers to print). */
  get baseTime(): number {
    return this.#length > 0 ? (this.#time[0] as number) : 0;
  }

  /** Empties the batch for reuse; the interned fields are kept unless they outnumber the slots. */
  reset(): void {
    this.#length = 0;
    if (this.#interned.length > this.capacity) {
      this.#interned.length = 0;
      this.#ids.clear();
      this.#lastRead = NO_READ;
    }
  }

  /**
   * The queued events as the insert's parameters: the distinct strings (1-based; NULL is 0,
   * which PostgreSQL reads as NULL), then as PostgreSQL array literals the times (ms after
   * `baseTime`), each string column as indexes into the strings, and the versions. A batch of
   * 1,000 reads of one credential sends each string once, and builds one string per column
   * instead of one per value.
   */
  parameters(): unknown[] {
    const count = this.#length;
    const words = new Map<string, number>();
    /** The 1-based index of `value` among the distinct strings (added when new); 0 for NULL. */
    const wordIndex = (value: string | null): number =>
      value === null ? 0 : (words.get(value) ?? words.set(value, words.size + 1).size);
    // Per interned fields used: the index of each of its strings.
    const indexes: number[][] = [];
    for (let at = 0; at < count; at++) {
      const id = this.#fields[at] as number;
      indexes[id] ??= (this.#interned[id] as EventFields).strings().map(wordIndex);
    }
    const strings = (field: number) => {
      const out = new Array<number>(count);
      // why: runs of one id are the rule (one credential read again and again): no lookup for a repeat.
      let lastId = -1;
      let lastIndex = 0;
      for (let at = 0; at < count; at++) {
        const id = this.#fields[at] as number;
        if (id !== lastId) {
          lastId = id;
          lastIndex = (indexes[id] as number[])[field] as number;
        }
        out[at] = lastIndex;
      }
      return `{${out.join(",")}}`;
    };
    const correlationIds = () => {
      const out = new Array<number>(count);
      for (let at = 0; at < count; at++) {
        out[at] = wordIndex(this.#correlationIds[at] as string | null);
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
      ...[0, 1, 2, 3, 4].map(strings),
      numbers(this.#version, 0),
      ...[5, 6].map(strings),
      correlationIds(),
    ];
    return [[...words.keys()], ...columns];
  }

  /** The event at `index`, rebuilt (for `onDrop`). */
  event(index: number): AuditEvent {
    const version = Number.isNaN(this.#version[index]) ? null : (this.#version[index] as number);
    const { tenantId, connectionId, accessor, action, outcome, cache, errorCode } = this.#interned[
      this.#fields[index] as number
    ] as EventFields;
    const correlationId = this.#correlationIds[index];
    return {
      time: this.#time[index] as number,
      tenant: tenantId,
      ...(connectionId != null ? { name: connectionId } : {}),
      accessor,
      action,
      outcome,
      ...(version != null ? { version } : {}),
      ...(cache != null ? { cache } : {}),
      ...(errorCode != null ? { errorCode: errorCode as AuditEvent["errorCode"] } : {}),
      ...(correlationId != null ? { correlationId } : {}),
    };
  }

  /** The successful reads of the batch, summed per credential. */
  rollup(): UsageRollup {
    const index = new Map<string, number>();
    const rollup: UsageRollup = { tenantIds: [], connectionIds: [], counts: [], lastTimes: [] };
    let lastId = -1;
    let lastSlot: number | undefined;
    for (let at = 0; at < this.#length; at++) {
      const id = this.#fields[at] as number;
      const { tenantId, connectionId, action, outcome } = this.#interned[id] as EventFields;
      if (action !== "read" || outcome !== "success" || connectionId == null) continue;
      const time = this.#time[at] as number;
      // why: the same fields as the previous read (the rule) need no key string or lookup.
      const key = id === lastId ? undefined : `${tenantId.length}:${tenantId}${connectionId}`;
      const slot = key === undefined ? lastSlot : index.get(key);
      lastId = id;
      lastSlot = slot ?? rollup.tenantIds.length;
      if (slot === undefined) {
        index.set(key as string, rollup.tenantIds.length);
        rollup.tenantIds.push(tenantId);
        rollup.connectionIds.push(connectionId);
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
 * Queued events in batches of `batchSize`, oldest batch first; the newest is the open one, which
 * takes the next event. Written batches are kept for reuse (at most as many as the queue once
 * held), so a steady flow of events allocates nothing and the garbage collector never copies a
 * young batch.
 */
export class AuditQueue {
  readonly #batches: AuditBatch[];
  readonly #spares: AuditBatch[] = [];
  readonly #batchSize: number;
  /** The newest batch, never full: the next event goes there. */
  #open: AuditBatch;
  #length = 0;

  constructor(batchSize: number) {
    this.#batchSize = batchSize;
    this.#open = new AuditBatch(batchSize);
    this.#batches = [this.#open];
  }

  /** Events queued. */
  get length(): number {
    return this.#length;
  }

  /** Queues an event; true when that filled a batch (a flush can start). */
  push(event: AuditEvent): boolean {
    this.#length++;
    if (!this.#open.push(event)) return false;
    this.#close();
    return true;
  }

  /** Queues a successful read given field by field; true when that filled a batch. */
  readonly pushRead: ReadQueuer = (time, tenantId, connectionId, accessor, version, cache, correlationId) => {
    this.#length++;
    const batch = this.#open;
    const fields = batch.readId(tenantId, connectionId, accessor, cache);
    if (!batch.pushRead(time, version, fields, correlationId ?? null)) return false;
    this.#close();
    return true;
  };

  /**
   * The oldest batch holding events, to be written, or undefined when none is queued. A partly
   * filled open batch is closed first, so events queued while it is written go to a new one.
   */
  oldest(): AuditBatch | undefined {
    const batch = this.#batches[0] as AuditBatch;
    if (batch.length === 0) return undefined;
    if (batch === this.#open) this.#close();
    return batch;
  }

  /** Removes the oldest batch (written, or given up on); `oldest()` returned it. */
  shift(): void {
    const batch = this.#batches.shift() as AuditBatch;
    this.#length -= batch.length;
    batch.reset();
    this.#spares.push(batch);
  }

  /** Closes the open batch: a fresh one after it takes the next events. */
  #close(): void {
    this.#open = this.#spares.pop() ?? new AuditBatch(this.#batchSize);
    this.#batches.push(this.#open);
  }
}
