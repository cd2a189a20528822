/**
 * The webhook sink: delivers events to one receiver as signed Standard Webhooks requests, with
 * retries and backoff, a bounded queue and a delivery log.
 *
 * - Each event is one POST of `{ type, timestamp, data }` with `webhook-id` (the event id, kept by
 *   every retry so receivers can deduplicate), `webhook-timestamp` and `webhook-signature`, signed
 *   again for each attempt.
 * - A 2xx answer delivers; anything else (including a redirect, which is never followed), a network
 *   failure or a timeout is retried after `retryBaseMs · 2^(attempt−1)` (capped at `retryMaxMs`,
 *   jittered down by up to half, at least a `Retry-After` the receiver sent), until `maxAttempts`.
 * - Queue full (`maxQueue` events waiting or backing off): the oldest waiting event is dropped and
 *   logged as `dropped`, so a receiver that is down for long loses the oldest news, never the newest.
 * - The delivery log keeps the latest `logSize` attempts (ids, types, outcomes, HTTP statuses); it
 *   never holds a body, the URL or the secret.
 */
import { type EgressOptions, EgressPolicy, type GuardedFetch, guardedFetch } from "../connectors/egress.js";
import { type Clock, systemClock } from "../core/clock.js";
import { ConfigurationError } from "../core/errors.js";
import type { LibOption } from "../core/import-optional.js";
import type { CredkitEvent, CredkitEventType, EventStream } from "./events.js";
import { attemptDelivery, checkReceiverUrl, type DeliveryAnswer } from "./webhooks-delivery.js";
import { checkWebhookSecret, loadStandardWebhooks, type StandardWebhooksModule } from "./webhooks-signing.js";

/** Options of `createWebhookSink`. */
export interface WebhookSinkOptions {
  /** The receiver: an `https:` (or `http:`) URL with no user name or password in it. */
  url: string | URL;
  /** The signing secret, `whsec_…` (see `generateWebhookSecret()`); shared with the receiver. */
  secret: string;
  /** Event types to deliver. @default every type */
  types?: readonly CredkitEventType[];
  /** Events waiting or backing off at most; when full the oldest is dropped. @default 1000 */
  maxQueue?: number;
  /** Attempts per event, the first included. @default 8 */
  maxAttempts?: number;
  /** Delay before the first retry, ms; doubles for each next one. @default 1000 */
  retryBaseMs?: number;
  /** Longest delay between attempts, ms. @default 300000 */
  retryMaxMs?: number;
  /** Time allowed for one request, ms. @default 10000 */
  timeoutMs?: number;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Attempts kept in the delivery log. @default 1000 */
  logSize?: number;
  /**
   * The egress guard for the receiver's address (loopback, private and metadata addresses are
   * refused unless allowed here), or `false` for none when the URL is entirely the operator's.
   * @default {} (the guard on, nothing extra allowed)
   */
  egress?: EgressOptions | false;
  /** The `fetch` to send with; replaces the guarded one. */
  fetch?: typeof globalThis.fetch;
  /** Clock for timestamps and retry timers. @default systemClock */
  clock?: Clock;
  /** The `standardwebhooks` module, when it cannot be imported. */
  lib?: LibOption<StandardWebhooksModule>;
}

/** One delivery attempt, as kept in the delivery log. */
export interface DeliveryLogEntry {
  readonly eventId: string;
  readonly type: CredkitEventType;
  /** 1 for the first attempt; 0 for an event dropped before its first. */
  readonly attempt: number;
  /** When the attempt ended, ISO 8601. */
  readonly at: string;
  /** `retrying`: failed, another attempt follows; `failed`: the last attempt failed. */
  readonly outcome: "delivered" | "retrying" | "failed" | "dropped";
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why the attempt failed, e.g. `HTTP 503`, `ECONNREFUSED`, `timeout`, `queue_full`, `closed`. */
  readonly error?: string;
  /** For `retrying`: when the next attempt is due, ISO 8601. */
  readonly nextAttemptAt?: string;
}

/** Counters since the sink was created. */
export interface WebhookStats {
  /** Events waiting or backing off. */
  readonly queued: number;
  readonly inFlight: number;
  readonly delivered: number;
  /** Events given up after `maxAttempts`. */
  readonly failed: number;
  /** Events dropped because the queue was full or the sink closed. */
  readonly dropped: number;
}

interface Item {
  readonly event: CredkitEvent;
  readonly body: string;
  attempt: number;
  timer?: unknown;
}

function positive(value: number | undefined, fallback: number, option: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0)
    throw new ConfigurationError(`${option} must be a positive number.`);
  return chosen;
}

/** Delivers events to one receiver; see the module comment. */
export class WebhookSink {
  readonly #url: URL;
  readonly #options: WebhookSinkOptions;
  readonly #clock: Clock;
  readonly #limits: { maxQueue: number; maxAttempts: number; concurrency: number; logSize: number };
  readonly #types: ReadonlySet<string> | undefined;
  readonly #ready: Item[] = [];
  readonly #waiting = new Set<Item>();
  readonly #log: DeliveryLogEntry[] = [];
  readonly #counts = { delivered: 0, failed: 0, dropped: 0 };
  #inFlight = 0;
  #closed = false;
  #idle: Array<() => void> = [];
  #guarded: Promise<GuardedFetch> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: WebhookSinkOptions) {
    this.#url = checkReceiverUrl(options.url);
    checkWebhookSecret(options.secret, "webhook secret");
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#types = options.types ? new Set(options.types) : undefined;
    this.#limits = {
      maxQueue: positive(options.maxQueue, 1000, "maxQueue"),
      maxAttempts: positive(options.maxAttempts, 8, "maxAttempts"),
      concurrency: positive(options.concurrency, 4, "concurrency"),
      logSize: positive(options.logSize, 1000, "logSize"),
    };
  }

  /** Queues an event for delivery (ignored when its type is filtered out or the sink is closed). */
  readonly send = (event: CredkitEvent): void => {
    if (this.#closed || (this.#types && !this.#types.has(event.type))) return;
    if (this.#ready.length + this.#waiting.size >= this.#limits.maxQueue) this.#dropOldest();
    const body = JSON.stringify({ type: event.type, timestamp: event.time, data: event });
    this.#ready.push({ event, body, attempt: 0 });
    this.#pump();
  };

  /** Delivers every event of `stream` (of the chosen types); returns the unsubscribe function. */
  subscribe(stream: EventStream): () => void {
    return stream.on("*", this.send);
  }

  /** The latest attempts, oldest first. */
  deliveries(): DeliveryLogEntry[] {
    return [...this.#log];
  }

  stats(): WebhookStats {
    const queued = this.#ready.length + this.#waiting.size;
    return { queued, inFlight: this.#inFlight, ...this.#counts };
  }

  /** Resolves when nothing waits, backs off or is in flight. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops: new events are ignored, events still waiting or backing off are dropped (and logged),
   * requests in flight finish. Call `idle()` first to give the queue time to drain.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const item of [...this.#ready, ...this.#waiting]) this.#drop(item, "closed");
      this.#ready.length = 0;
      this.#waiting.clear();
      await this.idle();
      await (await this.#guarded)?.close();
    })();
    return this.#closing;
  }

  #isIdle(): boolean {
    return this.#ready.length === 0 && this.#waiting.size === 0 && this.#inFlight === 0;
  }

  #pump(): void {
    while (this.#inFlight < this.#limits.concurrency && this.#ready.length > 0) {
      const item = this.#ready.shift() as Item;
      this.#inFlight++;
      void this.#attempt(item).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  async #attempt(item: Item): Promise<void> {
    item.attempt++;
    const answer = await attemptDelivery({
      url: this.#url,
      item,
      fetch: await this.#fetch(),
      webhooks: await loadStandardWebhooks(this.#options.lib),
      secret: this.#options.secret,
      clock: this.#clock,
      timeoutMs: positive(this.#options.timeoutMs, 10_000, "timeoutMs"),
    });
    if (answer.ok) {
      this.#counts.delivered++;
      this.#record(item, "delivered", answer);
    } else if (item.attempt >= this.#limits.maxAttempts || this.#closed) {
      this.#counts.failed++;
      this.#record(item, "failed", answer);
    } else this.#retryLater(item, answer);
  }

  #retryLater(item: Item, answer: DeliveryAnswer): void {
    const base = positive(this.#options.retryBaseMs, 1000, "retryBaseMs");
    const max = positive(this.#options.retryMaxMs, 300_000, "retryMaxMs");
    const backoff = Math.min(max, base * 2 ** (item.attempt - 1)) * (0.5 + Math.random() / 2);
    const delay = Math.min(max, Math.max(backoff, answer.retryAfterMs ?? 0));
    this.#record(item, "retrying", answer, this.#clock.now() + delay);
    this.#waiting.add(item);
    item.timer = this.#clock.setTimeout(() => {
      if (!this.#waiting.delete(item)) return;
      this.#ready.push(item);
      this.#pump();
    }, delay);
  }

  #dropOldest(): void {
    const oldest = this.#ready.shift() ?? this.#waiting.values().next().value;
    if (oldest) this.#drop(oldest, "queue_full");
  }

  #drop(item: Item, why: string): void {
    this.#clock.clearTimeout(item.timer);
    this.#waiting.delete(item);
    this.#counts.dropped++;
    this.#record(item, "dropped", { ok: false, error: why });
  }

  #record(item: Item, outcome: DeliveryLogEntry["outcome"], answer: DeliveryAnswer, next?: number): void {
    this.#log.push({
      eventId: item.event.id,
      type: item.event.type,
      attempt: item.attempt,
      at: new Date(this.#clock.now()).toISOString(),
      outcome,
      ...(answer.status !== undefined ? { status: answer.status } : {}),
      ...(answer.error !== undefined ? { error: answer.error } : {}),
      ...(next !== undefined ? { nextAttemptAt: new Date(next).toISOString() } : {}),
    });
    if (this.#log.length > this.#limits.logSize) this.#log.splice(0, this.#log.length - this.#limits.logSize);
  }

  async #fetch(): Promise<typeof globalThis.fetch> {
    if (this.#options.fetch) return this.#options.fetch;
    const egress = this.#options.egress ?? {};
    if (egress === false) return globalThis.fetch;
    this.#guarded ??= guardedFetch(new EgressPolicy(egress));
    return (await this.#guarded).fetch;
  }
}

/** A webhook sink for one receiver; `sink.subscribe(events)` to deliver a stream. */
export function createWebhookSink(options: WebhookSinkOptions): WebhookSink {
  return new WebhookSink(options);
}
