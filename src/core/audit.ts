/**
 * The audit trail. Every read, write, delete, rotate and test emits one event; events carry ids,
 * outcomes and versions, never a value. Sinks: an in-memory ring (the default), a callback, a
 * JSON-lines file and pino-style loggers. Access count and last access per credential come from
 * the events seen by this process.
 */
import { ConfigurationError, type CredkitErrorCode } from "./errors.js";

/** What happened. */
export type AuditAction =
  | "read"
  | "write"
  | "rotate"
  | "delete"
  | "restore"
  | "purge"
  | "describe"
  | "list"
  | "rewrap"
  | "test"
  | "call";

/** How the cache took part in a read. */
export type CacheOutcome = "hit" | "miss" | "stale" | "bypass";

/** What a brokered connector's call sent and got (action `call`): never a value or a query. */
export interface CallRecord {
  /** Connector id, e.g. `openai`. */
  readonly provider: string;
  readonly method: string;
  /** URL path, without the query string. */
  readonly path: string;
  /** HTTP status, or 0 when no answer came (refused before sending, network failure). */
  readonly status: number;
  /** Milliseconds from sending to the response headers. */
  readonly latencyMs: number;
  /** Whose key the call used: the tenant's own or the platform's. */
  readonly keySource: "tenant" | "platform";
  /** Whether the call was the one retry after a 401 (with the credential re-read). */
  readonly retried?: boolean;
}

export interface AuditEvent {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly tenant: string;
  /** Credential name; absent for tenant-wide actions such as `list`. */
  readonly name?: string | undefined;
  /** Who acted, e.g. `connector_42`; `unknown` when the caller did not say. */
  readonly accessor: string;
  readonly action: AuditAction;
  readonly outcome: "success" | "failure";
  /** Version read or written, when known. */
  readonly version?: number | undefined;
  /** For reads: whether the cache answered. `stale` means a last good value was served. */
  readonly cache?: CacheOutcome | undefined;
  /** For failures: the error code. */
  readonly errorCode?: CredkitErrorCode | "unknown" | undefined;
  /** For brokered calls (action `call`): what was sent and how it went. */
  readonly call?: CallRecord | undefined;
  /** The caller's id of the request or job this operation belongs to, when it gave one. */
  readonly correlationId?: string | undefined;
}

/**
 * A successful read given field by field: what `AuditSink.recordRead` receives instead of an
 * event object (action `read`, outcome `success`).
 */
export type ReadRecorder = (
  time: number,
  tenantId: string,
  connectionId: string,
  accessor: string,
  version: number,
  cache: CacheOutcome,
  correlationId: string | undefined,
) => void;

/**
 * Receives every audit event. Must not throw; errors are swallowed so audit never breaks reads.
 * A sink that keeps fields rather than objects (a batching sink) may also carry `recordRead`:
 * successful reads, the cache hit's path, then go there field by field and no event object is
 * built for it.
 */
export type AuditSink = ((event: AuditEvent) => void) & {
  /** Takes a successful read without an event object; when present, the sink itself never sees reads. */
  readonly recordRead?: ReadRecorder | undefined;
};

/**
 * The event object of a successful read given field by field. Its parameters are named after the
 * `AuditEvent` fields they fill (`tenant`, `name`), so each branch is one object literal.
 */
export const readEvent: (...read: Parameters<ReadRecorder>) => AuditEvent = (
  time,
  tenant,
  name,
  accessor,
  version,
  cache,
  correlationId,
) =>
  correlationId === undefined
    ? { time, tenant, name, accessor, action: "read", outcome: "success", version, cache }
    : { time, tenant, name, accessor, action: "read", outcome: "success", version, cache, correlationId };

/** Per-credential usage derived from read events. */
export interface AccessStats {
  readonly accessCount: number;
  /** Epoch milliseconds of the last successful read. */
  readonly lastAccessAt?: number | undefined;
}

/** The largest audit ring accepted (`audit.ringSize`). */
export const MAX_RING_SIZE = 1_000_000;

/**
 * A bounded in-memory ring of the latest events. Fields are kept in columns rather than as the
 * event objects themselves: a read's event object then dies young instead of being promoted by
 * the garbage collector, which keeps the cache-hit path cheap. `events()` rebuilds the objects.
 */
export class AuditRing {
  readonly #capacity: number;
  readonly #time: Float64Array;
  readonly #version: Float64Array;
  readonly #tenantId: string[];
  readonly #connectionId: Array<string | undefined>;
  readonly #accessor: string[];
  readonly #action: AuditAction[];
  readonly #outcome: Array<AuditEvent["outcome"]>;
  readonly #cache: Array<CacheOutcome | undefined>;
  readonly #errorCode: Array<AuditEvent["errorCode"]>;
  readonly #call: Array<CallRecord | undefined>;
  readonly #correlationId: Array<string | undefined>;
  #size = 0;
  #next = 0;

  /** `capacity`: events kept, a whole number from 1 to `MAX_RING_SIZE`; else `ConfigurationError`. */
  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_RING_SIZE) {
      throw new ConfigurationError(`audit.ringSize must be a whole number from 1 to ${MAX_RING_SIZE}.`);
    }
    this.#capacity = capacity;
    this.#time = new Float64Array(capacity);
    this.#version = new Float64Array(capacity);
    this.#tenantId = new Array(capacity);
    this.#connectionId = new Array(capacity);
    this.#accessor = new Array(capacity);
    this.#action = new Array(capacity);
    this.#outcome = new Array(capacity);
    this.#cache = new Array(capacity);
    this.#errorCode = new Array(capacity);
    this.#call = new Array(capacity);
    this.#correlationId = new Array(capacity);
  }

  readonly sink: AuditSink = (event) => {
    this.record(
      event.time,
      event.tenant,
      event.name,
      event.accessor,
      event.action,
      event.outcome,
      event.version,
      event.cache,
      event.errorCode,
      event.call,
      event.correlationId,
    );
  };

  /** Stores one event given field by field: the same as `sink`, without an event object. */
  record(
    time: number,
    tenantId: string,
    connectionId: string | undefined,
    accessor: string,
    action: AuditAction,
    outcome: AuditEvent["outcome"],
    version: number | undefined,
    cache: CacheOutcome | undefined,
    errorCode: AuditEvent["errorCode"],
    call?: CallRecord,
    correlationId?: string,
  ): void {
    const slot = this.#next;
    this.#time[slot] = time;
    this.#version[slot] = version ?? Number.NaN;
    this.#tenantId[slot] = tenantId;
    this.#connectionId[slot] = connectionId;
    this.#accessor[slot] = accessor;
    this.#action[slot] = action;
    this.#outcome[slot] = outcome;
    this.#cache[slot] = cache;
    this.#errorCode[slot] = errorCode;
    this.#call[slot] = call;
    this.#correlationId[slot] = correlationId;
    this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
    if (this.#size < this.#capacity) this.#size++;
  }

  #event(slot: number): AuditEvent {
    const version = this.#version[slot] as number;
    const connectionId = this.#connectionId[slot];
    const cache = this.#cache[slot];
    const errorCode = this.#errorCode[slot];
    const call = this.#call[slot];
    const correlationId = this.#correlationId[slot];
    return {
      time: this.#time[slot] as number,
      tenant: this.#tenantId[slot] as string,
      ...(connectionId !== undefined ? { name: connectionId } : {}),
      accessor: this.#accessor[slot] as string,
      action: this.#action[slot] as AuditAction,
      outcome: this.#outcome[slot] as AuditEvent["outcome"],
      ...(Number.isNaN(version) ? {} : { version }),
      ...(cache !== undefined ? { cache } : {}),
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(call !== undefined ? { call } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
    };
  }

  /** Events oldest first, optionally filtered. */
  events(filter: Partial<Pick<AuditEvent, "tenant" | "name" | "action">> = {}): AuditEvent[] {
    const first = this.#size < this.#capacity ? 0 : this.#next;
    const events: AuditEvent[] = [];
    for (let offset = 0; offset < this.#size; offset++) {
      const slot = (first + offset) % this.#capacity;
      if (filter.tenant !== undefined && this.#tenantId[slot] !== filter.tenant) continue;
      if (filter.name !== undefined && this.#connectionId[slot] !== filter.name) continue;
      if (filter.action !== undefined && this.#action[slot] !== filter.action) continue;
      events.push(this.#event(slot));
    }
    return events;
  }

  clear(): void {
    this.#size = 0;
    this.#next = 0;
    this.#tenantId.fill("");
    this.#connectionId.fill(undefined);
    this.#accessor.fill("");
    this.#call.fill(undefined);
    this.#correlationId.fill(undefined);
  }
}

/** Minimal shape of a pino-style logger. */
export interface StructuredLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Writes each event to a pino-style logger: successes at info, failures at warn. */
export function loggerSink(logger: StructuredLogger): AuditSink {
  return (event) => {
    const message = `credkit ${event.action} ${event.outcome}`;
    if (event.outcome === "success") logger.info({ audit: event }, message);
    else logger.warn({ audit: event }, message);
  };
}

/** One JSON line per event, with `time` as an ISO string. */
export function formatAuditLine(event: AuditEvent): string {
  return `${JSON.stringify({ ...event, time: new Date(event.time).toISOString() })}\n`;
}

/** Options of `jsonLinesSink`. */
export interface JsonLinesOptions {
  /**
   * Rotate before the file would grow past this many bytes: `path` becomes `path.1`, `path.1`
   * becomes `path.2`, and so on. Unset: the file is never rotated. One process per file.
   */
  maxBytes?: number;
  /**
   * Rotated files kept besides the current one; the oldest is removed.
   * @default 5
   */
  keep?: number;
}

function checkJsonLinesOptions(options: JsonLinesOptions): void {
  const { maxBytes, keep } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    throw new ConfigurationError("jsonLinesSink maxBytes must be a positive whole number of bytes.");
  }
  if (keep !== undefined && !(Number.isSafeInteger(keep) && keep >= 1)) {
    throw new ConfigurationError("jsonLinesSink keep must be a whole number of at least 1.");
  }
}

/** `path` → `path.1` → … → `path.<keep>` (which drops the oldest). */
async function rotateFile(path: string, keep: number): Promise<void> {
  const { rename } = await import("node:fs/promises");
  for (let index = keep - 1; index >= 1; index--) {
    await rename(`${path}.${index}`, `${path}.${index + 1}`).catch(() => undefined);
  }
  await rename(path, `${path}.1`);
}

/**
 * Appends each event as a JSON line to `path` (created 0600), rotating by size when `maxBytes` is
 * set. Writes are queued in order; `flush()` waits for them. A bad option is a
 * `ConfigurationError`.
 */
export function jsonLinesSink(
  path: string,
  options: JsonLinesOptions = {},
): AuditSink & { flush(): Promise<void> } {
  checkJsonLinesOptions(options);
  let queue: Promise<void> = Promise.resolve();
  let size: number | undefined;
  const grow = async (bytes: number) => {
    if (options.maxBytes === undefined) return;
    const { stat } = await import("node:fs/promises");
    size ??= await stat(path).then(
      (found) => found.size,
      () => 0,
    );
    if (size > 0 && size + bytes > options.maxBytes) {
      await rotateFile(path, options.keep ?? 5);
      size = 0;
    }
    size += bytes;
  };
  const sink = ((event: AuditEvent) => {
    const line = formatAuditLine(event);
    queue = queue.then(async () => {
      const { appendFile } = await import("node:fs/promises");
      // why: a rotation that fails (a file in the way) must not lose the line.
      await grow(Buffer.byteLength(line)).catch(() => undefined);
      await appendFile(path, line, { mode: 0o600 }).catch(() => undefined);
    });
  }) as AuditSink & { flush(): Promise<void> };
  sink.flush = () => queue;
  return sink;
}

/** A sink that takes successful reads field by field. */
type FieldSink = AuditSink & { readonly recordRead: ReadRecorder };

/**
 * Fans events out to sinks and keeps per-credential access statistics. Statistics are keyed by
 * the caller's credential key (the core passes its cache key of the latest version), so the
 * read path builds no extra strings.
 */
export class AuditTrail {
  readonly #ring: AuditRing;
  readonly #sinks: AuditSink[];
  /** The sinks with `recordRead`: a successful read reaches them field by field. */
  #fieldSinks: FieldSink[] = [];
  /** The other sinks: a successful read reaches them as an event object. */
  #eventSinks: AuditSink[] = [];
  readonly #stats = new Map<string, { accessCount: number; lastAccessAt?: number }>();

  constructor(ring: AuditRing, sinks: AuditSink[]) {
    this.#ring = ring;
    this.#sinks = [...sinks];
    this.#sortSinks();
  }

  /** Adds a sink after construction (operations tooling); returns a function that removes it. */
  addSink(sink: AuditSink): () => void {
    this.#sinks.push(sink);
    this.#sortSinks();
    return () => {
      const index = this.#sinks.indexOf(sink);
      if (index >= 0) this.#sinks.splice(index, 1);
      this.#sortSinks();
    };
  }

  /**
   * Splits the sinks by how they take reads (whether `recordRead` is there when the sink is
   * added), so the read path asks no sink what it can take.
   */
  #sortSinks(): void {
    this.#fieldSinks = this.#sinks.filter((sink): sink is FieldSink => sink.recordRead !== undefined);
    this.#eventSinks = this.#sinks.filter((sink) => sink.recordRead === undefined);
  }

  emit(event: AuditEvent): void {
    this.#ring.sink(event);
    this.#sendTo(this.#sinks, event);
  }

  /**
   * Records a successful read and counts the access. The hot path of every cache hit: sinks with
   * `recordRead` take the fields; an event object is built only for the others (one, shared).
   */
  readonly read: (credential: string, ...read: Parameters<ReadRecorder>) => void = (
    credential,
    time,
    tenantId,
    connectionId,
    accessor,
    version,
    cache,
    correlationId,
  ) => {
    this.#countAccess(credential, time);
    this.#ring.record(
      time,
      tenantId,
      connectionId,
      accessor,
      "read",
      "success",
      version,
      cache,
      undefined,
      undefined,
      correlationId,
    );
    const fieldSinks = this.#fieldSinks;
    for (let index = 0; index < fieldSinks.length; index++) {
      const sink = fieldSinks[index] as FieldSink;
      try {
        sink.recordRead(time, tenantId, connectionId, accessor, version, cache, correlationId);
      } catch {
        // why: a broken sink must not turn a successful read into a failure.
      }
    }
    if (this.#eventSinks.length > 0) {
      this.#sendTo(
        this.#eventSinks,
        readEvent(time, tenantId, connectionId, accessor, version, cache, correlationId),
      );
    }
  };

  #sendTo(sinks: readonly AuditSink[], event: AuditEvent): void {
    for (const sink of sinks) {
      try {
        sink(event);
      } catch {
        // why: a broken sink must not turn a successful read into a failure.
      }
    }
  }

  /** Counts a successful read of the credential under `credential`. */
  #countAccess(credential: string, time: number): void {
    const stats = this.#stats.get(credential);
    if (stats) {
      stats.accessCount++;
      stats.lastAccessAt = time;
    } else {
      this.#stats.set(credential, { accessCount: 1, lastAccessAt: time });
    }
  }

  stats(credential: string): AccessStats {
    return this.#stats.get(credential) ?? { accessCount: 0 };
  }

  forget(credential: string): void {
    this.#stats.delete(credential);
  }
}
