/**
 * Credential alerts on a schedule: every `intervalMs` (jittered by ± `jitter`) the scheduler
 * computes each tenant's findings (see `checkAlerts`) and publishes on `events` only what is new.
 *
 * - Dedupe: a finding is published once per credential and kind, and again only when it changes
 *   (another version, expiry, due date, last use or key, or an expiring credential that has now
 *   expired) or after it cleared and came back. What was published is kept per tenant in the
 *   store (a reserved record, encrypted like everything else), so every replica and a restarted
 *   process share it; a tenant holds about 1,000 open findings before the record is full (then
 *   `onError` is told and the findings of that tenant are re-published at each run).
 * - One replica at a time per tenant: a lease in the store (compare-and-set, as the health monitor
 *   does) carries the tenant's next due time, so the fleet checks each tenant once per interval.
 * - Timers are unref'd and come from `clock`; `start()` runs the first check at once.
 */
import { createHash, randomBytes } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.js";
import { ConflictError } from "../core/errors.js";
import { type SystemRecordStore, systemRecords } from "../core/system-records.js";
import { type Alert, type CheckAlertsOptions, findAlerts, publishAlert } from "./alerts.js";
import type { CredentialAlertEvent, EventStream } from "./events.js";
import { credentialStoreLeases, type LeaseStore } from "./monitor-leases.js";
import {
  jitterOption,
  nextDelay,
  positiveOption,
  reportTo,
  type ScheduledRunnerOptions,
  type ScheduleRules,
} from "./monitor-schedule.js";
import { tenantsOf } from "./monitor-tenants.js";

/** Options of `createAlertScheduler`: the alert policy and sources of `checkAlerts`, and timing. */
export interface AlertSchedulerOptions
  extends Omit<CheckAlertsOptions, "now" | "events">,
    ScheduledRunnerOptions {
  /** Where new alerts are published. */
  events: EventStream;
  /** Time between checks of a tenant, ms. @default 3600000 (1 hour) */
  intervalMs?: number;
  /** How long a replica holds a tenant's lease; longer than a check takes, ms. @default 600000 */
  leaseMs?: number;
  /** The leases replicas share. @default credentialStoreLeases(credentials, "alert-lease") */
  leases?: LeaseStore;
}

/** What the scheduler has done since it started. */
export interface AlertSchedulerStats {
  /** Runs finished (each checks every tenant that is due). */
  readonly runs: number;
  /** Tenant checks made by this replica. */
  readonly checks: number;
  /** Alerts published (new or changed findings). */
  readonly published: number;
  /** Findings not published again because they were already (unchanged). */
  readonly repeated: number;
  /** Tenant checks left to another replica (its lease, or the shared schedule). */
  readonly deferred: number;
}

/** The lease and published-findings record id within a tenant. */
const RECORD_ID = "alerts";

/** A short hash, for the published-findings record: hash(credential + kind) → hash(finding). */
const digest = (text: string, length: number) =>
  createHash("sha256").update(text).digest("base64url").slice(0, length);

/** What identifies a finding (credential and kind) and what, when it changes, publishes it again. */
function identify(alert: Alert, now: number): { key: string; fingerprint: string } {
  const passed = alert.at !== undefined && Date.parse(alert.at) <= now;
  return {
    key: digest(`${alert.type}\u0000${alert.connectionId}`, 12),
    fingerprint: digest(
      JSON.stringify([alert.version, alert.at, alert.keyId, alert.reason, passed, alert.connections]),
      8,
    ),
  };
}

/** Runs `checkAlerts` on a schedule and publishes each finding once; see the module comment. */
export class AlertScheduler {
  readonly #options: AlertSchedulerOptions;
  readonly #rules: ScheduleRules;
  readonly #leaseMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #leases: LeaseStore;
  readonly #published: SystemRecordStore<Record<string, string>>;
  readonly #replica: string;
  readonly #counts = { runs: 0, checks: 0, published: 0, repeated: 0, deferred: 0 };
  #timer: unknown;
  #running: Promise<void> | undefined;
  #started = false;

  constructor(options: AlertSchedulerOptions) {
    this.#options = options;
    const intervalMs = positiveOption(options.intervalMs, 3_600_000, "intervalMs");
    // why: a failed check is not backed off; the tenant is simply checked again at the next run.
    this.#rules = {
      intervalMs,
      jitter: jitterOption(options.jitter),
      backoffBaseMs: intervalMs,
      backoffMaxMs: intervalMs,
    };
    this.#leaseMs = positiveOption(options.leaseMs, 600_000, "leaseMs");
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#leases = options.leases ?? credentialStoreLeases(options.credentials, "alert-lease");
    this.#published = systemRecords<Record<string, string>>(options.credentials, "alerts-published");
    this.#replica = options.replicaId ?? `replica_${randomBytes(8).toString("base64url")}`;
  }

  /** Starts: checks the tenants now, then every interval. Resolves after the first check. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#tick();
  }

  /** Stops: no further check starts; resolves when a running one has finished. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }

  stats(): AlertSchedulerStats {
    return { ...this.#counts };
  }

  /** Checks every tenant that is due (and not leased by another replica) now; returns what it published. */
  async runOnce(): Promise<CredentialAlertEvent[]> {
    const published: CredentialAlertEvent[] = [];
    for (const tenantId of await tenantsOf(this.#options.tenants)) {
      try {
        published.push(...(await this.#checkTenant(tenantId)));
      } catch (error) {
        this.#report(error);
      }
    }
    this.#counts.runs++;
    return published;
  }

  async #tick(): Promise<void> {
    this.#running = this.runOnce().then(
      () => undefined,
      (error) => this.#report(error),
    );
    await this.#running;
    this.#running = undefined;
    if (!this.#started) return;
    this.#timer = this.#clock.setTimeout(() => void this.#tick(), nextDelay(this.#rules, 0, this.#random));
  }

  async #checkTenant(tenantId: string): Promise<CredentialAlertEvent[]> {
    const now = this.#clock.now();
    const claim = await this.#leases.claim(tenantId, RECORD_ID, this.#replica, now, this.#leaseMs);
    if (!claim.claimed) {
      this.#counts.deferred++;
      return [];
    }
    let published: CredentialAlertEvent[] = [];
    try {
      this.#counts.checks++;
      published = await this.#publishNew(tenantId, await findAlerts(this.#options, tenantId, now), now);
    } finally {
      // why: due again from the earliest moment any replica's next run can come.
      const nextAt = now + this.#rules.intervalMs * (1 - this.#rules.jitter);
      await this.#leases.release(tenantId, RECORD_ID, claim.token, { nextAt, failures: 0 });
    }
    return published;
  }

  /** Publishes the findings not already published unchanged, and records what is open now. */
  async #publishNew(tenantId: string, alerts: Alert[], now: number): Promise<CredentialAlertEvent[]> {
    const record = await this.#published.get(tenantId, RECORD_ID);
    const before = record?.value ?? {};
    const open: Record<string, string> = {};
    const published: CredentialAlertEvent[] = [];
    for (const alert of alerts) {
      const { key, fingerprint } = identify(alert, now);
      open[key] = fingerprint;
      if (before[key] === fingerprint) {
        this.#counts.repeated++;
        continue;
      }
      published.push(publishAlert(this.#options.events, alert, now));
      this.#counts.published++;
    }
    const changed =
      JSON.stringify(Object.entries(open).sort()) !== JSON.stringify(Object.entries(before).sort());
    if (changed) await this.#save(tenantId, open, record?.version ?? 0);
    return published;
  }

  async #save(tenantId: string, open: Record<string, string>, version: number): Promise<void> {
    try {
      await this.#published.put(tenantId, RECORD_ID, open, { ifVersion: version });
    } catch (error) {
      // why: the lease makes a conflict rare (a lease outlived); the other replica's record wins.
      if (!ConflictError.isInstance(error)) throw error;
    }
  }

  #report(error: unknown): void {
    reportTo(this.#options.onError, error);
  }
}

/** An alert scheduler (call `start()`). */
export function createAlertScheduler(options: AlertSchedulerOptions): AlertScheduler {
  return new AlertScheduler(options);
}
