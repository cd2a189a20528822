/**
 * Credential alerts, computed from metadata only (no secret is read or decrypted): expiring within
 * N days (`expiresAt`), rotation due (a maximum age per credential type or per connector, from the
 * latest version's write time), unused for N days (last use), and undecryptable (the key check).
 * Each finding is published as a `credential.*` alert event. `checkAlerts` reports every current
 * finding each time it is called; `createAlertScheduler` runs the checks on a schedule and
 * publishes a finding once, until it changes or clears.
 */
import type { ConnectionRecord } from "../connectors/connection-store.js";
import { ConnectorService } from "../connectors/service.js";
import type { CredentialManager, VerifyKeysOptions } from "../core/credential-manager.js";
import type { CredentialType } from "../core/credential-types.js";
import type { CredentialInfo } from "../core/manager-options.js";
import { ownedCredentials } from "../core/system-records.js";
import type { CredentialUsage } from "./audit/query.js";
import { type CredentialAlertEvent, createEventStream, type EventInput, type EventStream } from "./events.js";
import { type TenantSource, tenantsOf } from "./monitor-tenants.js";

const DAY = 86_400_000;

/** What counts as an alert. Days may be fractional. */
export interface AlertPolicy {
  /** Alert when a credential expires within this many days (or has expired). @default 14 */
  expiringWithinDays?: number;
  /** Maximum age by credential type, days, with `"*"` for every other type. @default none */
  rotationMaxAgeDays?: Readonly<Partial<Record<CredentialType | "*", number>>>;
  /** Maximum age of the secrets of a connector's connections, by connector id, days. @default none */
  connectorRotationMaxAgeDays?: Readonly<Record<string, number>>;
  /** Alert when a credential has not been read for this many days (or since it was created). @default none */
  unusedForDays?: number;
}

/** Options of `checkAlerts`. */
export interface CheckAlertsOptions extends AlertPolicy {
  credentials: CredentialManager;
  /** The tenants to check. */
  tenants: TenantSource;
  /** Where alerts are published. */
  events?: EventStream;
  /** The connector service of a tenant (for connector policies). @default new ConnectorService({ credentials, tenantId }) */
  service?: (tenantId: string) => ConnectorService;
  /**
   * Last use of a credential from a durable source (e.g. the PostgreSQL audit roll-ups). Without
   * it, the last read seen by this process is used, which restarts with the process.
   */
  lastUsed?: (tenantId: string, connectionId: string) => Date | undefined | Promise<Date | undefined>;
  /**
   * Durable usage roll-ups, e.g. a `PostgresAuditSink`: the last read of a credential summed
   * across every replica that feeds it. The latest of this, `lastUsed` and this process's own
   * last read counts.
   */
  rollups?: { usage(tenantId: string, connectionId: string): Promise<CredentialUsage> };
  /**
   * The key check for `credential.undecryptable`, or `false` to skip it.
   * @default { latestOnly: true, keyIdsOnly: true } (key ids only: nothing is decrypted)
   */
  keyCheck?: VerifyKeysOptions | false;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

/** A finding before it is published: an alert event without its id and time. */
export type Alert = Omit<CredentialAlertEvent, "id" | "time">;

/** A credential with the connections that use it and the connectors they belong to. */
interface Subject {
  readonly info: CredentialInfo;
  readonly connections: string[];
  readonly connectors: Set<string>;
}

async function pages<T>(load: (cursor?: string) => Promise<{ items: T[]; cursor?: string }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return items;
}

/** Every credential of the tenant, its own and those its connections own, with their connections. */
async function subjectsOf(options: CheckAlertsOptions, tenantId: string): Promise<Subject[]> {
  const { credentials } = options;
  const service = options.service?.(tenantId) ?? new ConnectorService({ credentials, tenantId });
  const listed = await pages((cursor) => credentials.listCredentials(tenantId, cursor ? { cursor } : {}));
  const subjects = new Map<string, Subject>(
    listed.map((info) => [info.connectionId, { info, connections: [], connectors: new Set<string>() }]),
  );
  const records: ConnectionRecord[] = await pages((cursor) => service.list(cursor ? { cursor } : {}));
  const owned = ownedCredentials(credentials);
  for (const record of records) {
    for (const reference of Object.values(record.secretsReferences)) {
      const name = reference.secret_name;
      let subject = subjects.get(name);
      if (!subject) {
        const info = await owned.describeCredentials(name, tenantId).catch(() => undefined);
        if (!info) continue;
        subject = { info, connections: [], connectors: new Set() };
        subjects.set(name, subject);
      }
      if (!subject.connections.includes(record.id)) subject.connections.push(record.id);
      subject.connectors.add(record.connector);
    }
  }
  return [...subjects.values()].filter((subject) => subject.info.status !== "deleted");
}

/** The strictest maximum age that applies to a credential, days. */
function maxAgeDays(policy: AlertPolicy, subject: Subject): number | undefined {
  const types = policy.rotationMaxAgeDays ?? {};
  const candidates = [types[subject.info.type] ?? types["*"]];
  for (const connector of subject.connectors)
    candidates.push(policy.connectorRotationMaxAgeDays?.[connector]);
  const set = candidates.filter((days): days is number => typeof days === "number");
  return set.length > 0 ? Math.min(...set) : undefined;
}

function days(ms: number): string {
  const count = Math.round(Math.abs(ms) / DAY);
  return `${count} day${count === 1 ? "" : "s"}`;
}

/** The metadata alerts of one credential. */
async function metadataAlerts(options: CheckAlertsOptions, subject: Subject, now: number): Promise<Alert[]> {
  const { info, connections } = subject;
  const base = {
    tenantId: info.tenantId,
    connectionId: info.connectionId,
    version: info.version,
    ...(connections.length > 0 ? { connections } : {}),
  };
  const alerts: Alert[] = [];
  const expires = info.expiresAt?.getTime();
  if (expires !== undefined && expires - now <= (options.expiringWithinDays ?? 14) * DAY) {
    const message =
      expires <= now ? `expired ${days(now - expires)} ago` : `expires in ${days(expires - now)}`;
    alerts.push({ type: "credential.expiring", ...base, at: new Date(expires).toISOString(), message });
  }
  const maxAge = maxAgeDays(options, subject);
  const due = maxAge !== undefined ? info.updatedAt.getTime() + maxAge * DAY : undefined;
  if (due !== undefined && due <= now) {
    const message = `last rotated ${days(now - info.updatedAt.getTime())} ago (maximum ${maxAge} days)`;
    alerts.push({ type: "credential.rotation_due", ...base, at: new Date(due).toISOString(), message });
  }
  if (options.unusedForDays !== undefined) {
    const used = await lastUseOf(options, info);
    const since = (used ?? info.createdAt).getTime();
    if (now - since >= options.unusedForDays * DAY) {
      const message = used
        ? `not used for ${days(now - since)}`
        : `never used since it was created ${days(now - since)} ago`;
      alerts.push({
        type: "credential.unused",
        ...base,
        ...(used ? { at: used.toISOString() } : {}),
        message,
      });
    }
  }
  return alerts;
}

/** The latest known read of a credential: the durable sources' and this process's own. */
async function lastUseOf(options: CheckAlertsOptions, info: CredentialInfo): Promise<Date | undefined> {
  const known = [
    await options.lastUsed?.(info.tenantId, info.connectionId),
    (await options.rollups?.usage(info.tenantId, info.connectionId))?.lastUsedAt,
    info.lastAccessAt,
  ].filter((time): time is Date => time !== undefined);
  return known.length === 0 ? undefined : new Date(Math.max(...known.map((time) => time.getTime())));
}

/** `credential.undecryptable` for each version the key check cannot open. */
async function keyAlerts(options: CheckAlertsOptions, tenantId: string): Promise<Alert[]> {
  if (options.keyCheck === false) return [];
  const check = options.keyCheck ?? { latestOnly: true, keyIdsOnly: true };
  const result = await options.credentials.verifyKeys({ ...check, userId: tenantId });
  return result.unopenable.map((failure) => ({
    type: "credential.undecryptable",
    tenantId: failure.tenantId,
    connectionId: failure.connectionId,
    version: failure.version,
    keyId: failure.keyId,
    reason: failure.reason,
    message: `version ${failure.version} cannot be opened with the current keyring (${failure.reason})`,
  }));
}

/** The current findings of one tenant, not yet published. */
export async function findAlerts(
  options: CheckAlertsOptions,
  tenantId: string,
  now: number,
): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const subject of await subjectsOf(options, tenantId))
    alerts.push(...(await metadataAlerts(options, subject, now)));
  alerts.push(...(await keyAlerts(options, tenantId)));
  return alerts;
}

/** Publishes `alert` on `stream` with the time of the check. */
export function publishAlert(stream: EventStream, alert: Alert, now: number): CredentialAlertEvent {
  return stream.emit({ ...alert, time: new Date(now).toISOString() } as EventInput) as CredentialAlertEvent;
}

/**
 * Checks every credential of the tenants against the policy and publishes one alert event per
 * finding; returns them.
 */
export async function checkAlerts(options: CheckAlertsOptions): Promise<CredentialAlertEvent[]> {
  const now = (options.now ?? Date.now)();
  const stream = options.events ?? createEventStream({ now: () => now });
  const found: CredentialAlertEvent[] = [];
  for (const tenantId of await tenantsOf(options.tenants)) {
    for (const alert of await findAlerts(options, tenantId, now))
      found.push(publishAlert(stream, alert, now));
  }
  return found;
}
