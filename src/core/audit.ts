/**
 * The audit trail. Every read, write, delete, rotate and test emits one event; events carry ids,
 * outcomes and versions, never a value. Sinks: an in-memory ring (the default), a callback, a
 * JSON-lines file and pino-style loggers. Access count and last access per credential come from
 * the events seen by this process.
 */
import type { CredkitErrorCode } from "./errors.js";

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
  | "test";

/** How the cache took part in a read. */
export type CacheOutcome = "hit" | "miss" | "stale" | "bypass";

export interface AuditEvent {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly tenant: string;
  /** Credential name; absent for tenant-wide actions such as `list`. */
  readonly name?: string;
  /** Who acted, e.g. `connector_42`; `unknown` when the caller did not say. */
  readonly accessor: string;
  readonly action: AuditAction;
  readonly outcome: "success" | "failure";
  /** Version read or written, when known. */
  readonly version?: number;
  /** For reads: whether the cache answered. `stale` means a last good value was served. */
  readonly cache?: CacheOutcome;
  /** For failures: the error code. */
  readonly errorCode?: CredkitErrorCode | "unknown";
}

/** Receives every audit event. Must not throw; errors are swallowed so audit never breaks reads. */
export type AuditSink = (event: AuditEvent) => void;

/** Per-credential usage derived from read events. */
export interface AccessStats {
  readonly accessCount: number;
  /** Epoch milliseconds of the last successful read. */
  readonly lastAccessAt?: number;
}

/** A bounded in-memory ring of the latest events. */
export class AuditRing {
  readonly #events: AuditEvent[] = [];
  readonly #capacity: number;
  #next = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  readonly sink: AuditSink = (event) => {
    if (this.#events.length < this.#capacity) this.#events.push(event);
    else this.#events[this.#next] = event;
    this.#next = (this.#next + 1) % this.#capacity;
  };

  /** Events oldest first, optionally filtered. */
  events(filter: Partial<Pick<AuditEvent, "tenant" | "name" | "action">> = {}): AuditEvent[] {
    const ordered =
      this.#events.length < this.#capacity
        ? [...this.#events]
        : [...this.#events.slice(this.#next), ...this.#events.slice(0, this.#next)];
    return ordered.filter(
      (event) =>
        (filter.tenant === undefined || event.tenant === filter.tenant) &&
        (filter.name === undefined || event.name === filter.name) &&
        (filter.action === undefined || event.action === filter.action),
    );
  }

  clear(): void {
    this.#events.length = 0;
    this.#next = 0;
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

/**
 * Appends each event as a JSON line to `path` (created 0600). Writes are queued in order;
 * `flush()` waits for them.
 */
export function jsonLinesSink(path: string): AuditSink & { flush(): Promise<void> } {
  let queue: Promise<void> = Promise.resolve();
  const sink = ((event: AuditEvent) => {
    const line = formatAuditLine(event);
    queue = queue.then(async () => {
      const { appendFile } = await import("node:fs/promises");
      await appendFile(path, line, { mode: 0o600 }).catch(() => undefined);
    });
  }) as AuditSink & { flush(): Promise<void> };
  sink.flush = () => queue;
  return sink;
}

/** Fans events out to sinks and keeps per-credential access statistics. */
export class AuditTrail {
  readonly #sinks: AuditSink[];
  readonly #stats = new Map<string, { accessCount: number; lastAccessAt?: number }>();

  constructor(sinks: AuditSink[]) {
    this.#sinks = sinks;
  }

  emit(event: AuditEvent): void {
    if (event.action === "read" && event.outcome === "success" && event.name !== undefined) {
      const key = statsKey(event.tenant, event.name);
      const stats = this.#stats.get(key);
      if (stats) {
        stats.accessCount++;
        stats.lastAccessAt = event.time;
      } else {
        this.#stats.set(key, { accessCount: 1, lastAccessAt: event.time });
      }
    }
    for (const sink of this.#sinks) {
      try {
        sink(event);
      } catch {
        // why: a broken sink must not turn a successful read into a failure.
      }
    }
  }

  stats(tenant: string, name: string): AccessStats {
    return this.#stats.get(statsKey(tenant, name)) ?? { accessCount: 0 };
  }

  forget(tenant: string, name: string): void {
    this.#stats.delete(statsKey(tenant, name));
  }
}

function statsKey(tenant: string, name: string): string {
  return `${tenant.length}:${tenant}${name}`;
}
