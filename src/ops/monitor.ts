/**
 * The health monitor: tests the `active` and `error` connections of the tenants it is given on a
 * schedule, so a revoked key or a provider outage is found before a user meets it.
 *
 * - Each connection is checked every `intervalMs` (jittered by ± `jitter`), the first time at a
 *   random point of the first interval so a fleet does not start in step. After a failure the next
 *   check follows an exponential backoff (`backoffBaseMs`, doubling, at most `backoffMaxMs`).
 * - At most `concurrency` checks run at once, and each provider (connector id) gets at most
 *   `rateLimit.tests` checks per `rateLimit.perMs`.
 * - A check is a background `testConnectorConnection`: `active` → `error` on failure, `error` →
 *   `active` with reason `recovered` (a `connection.recovered` event) when it works again.
 * - Replicas share one schedule through a lease per connection (compare-and-set in the store):
 *   one replica at a time tests a connection, once per interval for the whole fleet.
 * - Timers are unref'd: a running monitor never keeps the process alive. `stop()` ends it.
 */
import { randomBytes } from "node:crypto";
import type { ConnectionStatus } from "../connectors/lifecycle.js";
import { ConnectorService, type ConnectorServiceOptions } from "../connectors/service.js";
import { type Clock, systemClock } from "../core/clock.js";
import type { CredentialManager } from "../core/credential-manager.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import type { EventStream } from "./events.js";
import { statusEvents } from "./events-publishers.js";
import { credentialStoreLeases, type LeaseStore } from "./monitor-leases.js";
import {
  jitterOption,
  nextDelay,
  ProviderRateLimiter,
  positiveOption,
  type RateLimit,
  reportTo,
  type ScheduledRunnerOptions,
  type ScheduleRules,
} from "./monitor-schedule.js";
import { type TenantSource, tenantsOf } from "./monitor-tenants.js";

/** Options of `createHealthMonitor`. */
export interface HealthMonitorOptions extends ScheduledRunnerOptions {
  /** Where the connections' secrets (and, by default, the connections and leases) live. */
  credentials: CredentialManager;
  /** The tenants whose connections are watched: a list, or a function returning one (read at each scan). */
  tenants: TenantSource;
  /**
   * The connector service of a tenant.
   * @default new ConnectorService({ credentials, tenantId, ...serviceOptions })
   */
  service?: (tenantId: string) => ConnectorService;
  /** Options for the default services (e.g. `registry`, `store`, `connectorOptions`). */
  serviceOptions?: Omit<ConnectorServiceOptions, "credentials" | "tenantId">;
  /** Where the default services publish status changes (`connection.*` events). */
  events?: EventStream;
  /** Time between checks of a healthy connection, ms. @default 300000 (5 minutes) */
  intervalMs?: number;
  /** First delay after a failed check, ms; doubles with each further failure. @default 60000 */
  backoffBaseMs?: number;
  /** Longest delay after failures, ms. @default 3600000 (1 hour) */
  backoffMaxMs?: number;
  /** Checks running at once. @default 4 */
  concurrency?: number;
  /**
   * Checks per provider (connector id): one limit for every provider, or limits by connector id
   * with `"*"` for the others. @default none
   */
  rateLimit?: RateLimit | Readonly<Record<string, RateLimit>>;
  /** How often the connection lists are read again (new, deleted, disabled connections), ms. @default 60000 */
  scanIntervalMs?: number;
  /** How long a replica holds a connection's lease; longer than a check takes, ms. @default 120000 */
  leaseMs?: number;
  /** The leases replicas share. @default credentialStoreLeases(credentials) */
  leases?: LeaseStore;
}

/** What the monitor has done since it started. */
export interface HealthMonitorStats {
  /** Connections watched. */
  readonly watched: number;
  /** Due and waiting for a slot or the rate limit. */
  readonly queued: number;
  readonly running: number;
  /** Checks made by this replica. */
  readonly checks: number;
  /** Of those, failed. */
  readonly failed: number;
  /** Due checks left to another replica (its lease, or the shared schedule). */
  readonly deferred: number;
}

/** Statuses the monitor checks. */
const WATCHED: ReadonlySet<ConnectionStatus> = new Set(["active", "error"]);

interface Watched {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly provider: string;
  timer?: unknown;
  running: boolean;
}

function rateLimits(option: HealthMonitorOptions["rateLimit"]): (provider: string) => RateLimit | undefined {
  if (!option) return () => undefined;
  const check = (limit: RateLimit): RateLimit => ({
    tests: positiveOption(limit.tests, 1, "rateLimit.tests"),
    perMs: positiveOption(limit.perMs, 1, "rateLimit.perMs"),
  });
  if (typeof (option as RateLimit).tests === "number") {
    const limit = check(option as RateLimit);
    return () => limit;
  }
  const table = new Map(
    Object.entries(option as Record<string, RateLimit>).map(([id, limit]) => [id, check(limit)]),
  );
  return (provider) => table.get(provider) ?? table.get("*");
}

/** Tests connections on a schedule; see the module comment. */
export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  readonly #rules: ScheduleRules;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #leases: LeaseStore;
  readonly #replica: string;
  readonly #limiter: ProviderRateLimiter;
  readonly #concurrency: number;
  readonly #watched = new Map<string, Watched>();
  readonly #services = new Map<string, ConnectorService>();
  readonly #ready: Watched[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #counts = { checks: 0, failed: 0, deferred: 0 };
  #started = false;
  #scanTimer: unknown;
  #rateTimer: unknown;

  constructor(options: HealthMonitorOptions) {
    this.#options = options;
    this.#rules = {
      intervalMs: positiveOption(options.intervalMs, 300_000, "intervalMs"),
      jitter: jitterOption(options.jitter),
      backoffBaseMs: positiveOption(options.backoffBaseMs, 60_000, "backoffBaseMs"),
      backoffMaxMs: positiveOption(options.backoffMaxMs, 3_600_000, "backoffMaxMs"),
    };
    positiveOption(options.scanIntervalMs, 60_000, "scanIntervalMs");
    positiveOption(options.leaseMs, 120_000, "leaseMs");
    this.#concurrency = positiveOption(options.concurrency, 4, "concurrency");
    this.#limiter = new ProviderRateLimiter(rateLimits(options.rateLimit));
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#leases = options.leases ?? credentialStoreLeases(options.credentials);
    this.#replica = options.replicaId ?? `replica_${randomBytes(8).toString("base64url")}`;
  }

  /** Starts watching; resolves after the first scan of the connection lists. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#scanAndRearm();
  }

  /** Stops: no further checks start; resolves when the running ones have finished. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#clock.clearTimeout(this.#scanTimer);
    this.#clock.clearTimeout(this.#rateTimer);
    for (const entry of this.#watched.values()) this.#clock.clearTimeout(entry.timer);
    this.#watched.clear();
    this.#ready.length = 0;
    await Promise.allSettled([...this.#inFlight]);
  }

  stats(): HealthMonitorStats {
    return {
      watched: this.#watched.size,
      queued: this.#ready.length,
      running: this.#inFlight.size,
      ...this.#counts,
    };
  }

  /** Reads the tenants' connection lists now: watches new connections, forgets gone or disabled ones. */
  async scan(): Promise<void> {
    const seen = new Set<string>();
    for (const tenantId of await tenantsOf(this.#options.tenants)) {
      try {
        await this.#scanTenant(tenantId, seen);
      } catch (error) {
        this.#report(error);
        for (const [key, entry] of this.#watched) if (entry.tenantId === tenantId) seen.add(key);
      }
    }
    for (const [key, entry] of this.#watched) if (!seen.has(key) && !entry.running) this.#unwatch(key);
  }

  async #scanAndRearm(): Promise<void> {
    await this.scan();
    if (!this.#started) return;
    const every = positiveOption(this.#options.scanIntervalMs, 60_000, "scanIntervalMs");
    this.#scanTimer = this.#clock.setTimeout(() => void this.#scanAndRearm(), every);
  }

  async #scanTenant(tenantId: string, seen: Set<string>): Promise<void> {
    const service = this.#service(tenantId);
    let cursor: string | undefined;
    do {
      const page = await service.list({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      for (const record of page.items) {
        if (!WATCHED.has(record.status)) continue;
        const key = `${tenantId}\u0000${record.id}`;
        seen.add(key);
        if (this.#watched.has(key) || !this.#started) continue;
        const entry: Watched = {
          tenantId,
          connectionId: record.id,
          provider: record.connector,
          running: false,
        };
        this.#watched.set(key, entry);
        this.#schedule(entry, this.#random() * this.#rules.intervalMs);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  #service(tenantId: string): ConnectorService {
    let service = this.#services.get(tenantId);
    if (!service) {
      const { credentials, serviceOptions, events } = this.#options;
      service =
        this.#options.service?.(tenantId) ??
        new ConnectorService({
          ...serviceOptions,
          credentials,
          tenantId,
          ...(events ? { onStatusChange: statusEvents(events) } : {}),
        });
      this.#services.set(tenantId, service);
    }
    return service;
  }

  #schedule(entry: Watched, delay: number): void {
    if (!this.#started || this.#watched.get(`${entry.tenantId}\u0000${entry.connectionId}`) !== entry) return;
    this.#clock.clearTimeout(entry.timer);
    entry.timer = this.#clock.setTimeout(
      () => {
        this.#ready.push(entry);
        this.#pump();
      },
      Math.max(0, delay),
    );
  }

  #unwatch(key: string): void {
    const entry = this.#watched.get(key);
    if (!entry) return;
    this.#clock.clearTimeout(entry.timer);
    this.#watched.delete(key);
    const queued = this.#ready.indexOf(entry);
    if (queued >= 0) this.#ready.splice(queued, 1);
  }

  /** Starts due checks while there are free slots and provider tokens. */
  #pump(): void {
    this.#clock.clearTimeout(this.#rateTimer);
    let wait = Number.POSITIVE_INFINITY;
    for (let index = 0; index < this.#ready.length && this.#inFlight.size < this.#concurrency; ) {
      const entry = this.#ready[index] as Watched;
      const blocked = this.#limiter.take(entry.provider, this.#clock.now());
      if (blocked > 0) {
        wait = Math.min(wait, blocked);
        index++;
        continue;
      }
      this.#ready.splice(index, 1);
      const run = this.#check(entry).finally(() => {
        this.#inFlight.delete(run);
        this.#pump();
      });
      this.#inFlight.add(run);
    }
    if (Number.isFinite(wait) && this.#started)
      this.#rateTimer = this.#clock.setTimeout(() => this.#pump(), wait);
  }

  /** One due check: claim the lease, test, record the next due time, schedule. */
  async #check(entry: Watched): Promise<void> {
    const { tenantId, connectionId } = entry;
    entry.running = true;
    try {
      const leaseMs = positiveOption(this.#options.leaseMs, 120_000, "leaseMs");
      const claim = await this.#leases.claim(
        tenantId,
        connectionId,
        this.#replica,
        this.#clock.now(),
        leaseMs,
      );
      if (!claim.claimed) {
        this.#counts.deferred++;
        const retry = Math.min(leaseMs, this.#rules.intervalMs) * (0.5 + this.#random() / 2);
        return this.#schedule(entry, claim.nextAt !== undefined ? claim.nextAt - this.#clock.now() : retry);
      }
      const failures = await this.#test(entry, claim.failures);
      if (failures === undefined) return;
      const delay = nextDelay(this.#rules, failures, this.#random);
      await this.#leases.release(tenantId, connectionId, claim.token, {
        nextAt: this.#clock.now() + delay,
        failures,
      });
      this.#schedule(entry, delay);
    } catch (error) {
      this.#report(error);
      this.#schedule(entry, nextDelay(this.#rules, 1, this.#random));
    } finally {
      entry.running = false;
    }
  }

  /** Tests the connection: the new failure count, or undefined when it is gone or disabled. */
  async #test(entry: Watched, failures: number): Promise<number | undefined> {
    this.#counts.checks++;
    try {
      const result = await this.#service(entry.tenantId).testConnectorConnection(entry.connectionId, {
        background: true,
      });
      if (result.success) return 0;
    } catch (error) {
      if (NotFoundError.isInstance(error) || ValidationError.isInstance(error)) {
        this.#unwatch(`${entry.tenantId}\u0000${entry.connectionId}`);
        await this.#leases.forget(entry.tenantId, entry.connectionId);
        return undefined;
      }
      this.#report(error);
    }
    this.#counts.failed++;
    return failures + 1;
  }

  #report(error: unknown): void {
    reportTo(this.#options.onError, error);
  }
}

/** A health monitor (call `start()`). */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  return new HealthMonitor(options);
}
