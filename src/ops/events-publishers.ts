/**
 * Where events come from, through hooks the manager, the connector service and OAuth already
 * have: an audit sink (credential writes and deletes), a status listener (connection transitions,
 * OAuth refresh failures and recoveries), and a rewrap `onProgress` callback.
 *
 * ```ts
 * const events = createEventStream();
 * const credentials = await createCredentialManager({ audit: { sinks: [auditEvents(events)] } });
 * const service = new ConnectorService({ credentials, tenantId, onStatusChange: statusEvents(events) });
 * await credentials.rewrap({ onProgress: rewrapEvents(events) });
 * ```
 */
import type { StatusEvent } from "../connectors/lifecycle.js";
import type { AuditEvent, AuditSink } from "../core/audit.js";
import { isReservedName } from "../core/ids.js";
import type { RewrapProgress } from "../core/rewrap.js";
import type { CredentialChangeEvent, EventStream } from "./events.js";

const CHANGES: Partial<Record<AuditEvent["action"], CredentialChangeEvent["type"]>> = {
  write: "credential.stored",
  rotate: "credential.rotated",
  delete: "credential.deleted",
  purge: "credential.deleted",
};

/** Options of `auditEvents`. */
export interface AuditEventsOptions {
  /**
   * Also publish changes of credkit's own records (reserved names beginning with `~`: connection
   * records, secrets a connection owns, OAuth tokens, monitor leases). Connections report their
   * own changes as `connection.*` events.
   * @default false
   */
  includeReserved?: boolean;
}

/**
 * An audit sink that publishes `credential.stored`, `credential.rotated` and `credential.deleted`
 * for each successful write, rotation or deletion. Reads cost one property lookup.
 */
export function auditEvents(stream: EventStream, options: AuditEventsOptions = {}): AuditSink {
  const includeReserved = options.includeReserved === true;
  return (event) => {
    const type = CHANGES[event.action];
    if (type === undefined || event.outcome !== "success" || event.name === undefined) return;
    if (!includeReserved && isReservedName(event.name)) return;
    stream.emit({
      type,
      time: new Date(event.time).toISOString(),
      tenantId: event.tenant,
      connectionId: event.name,
      actor: event.accessor,
      ...(event.version !== undefined ? { version: event.version } : {}),
      ...(event.action === "purge" ? { purged: true } : {}),
    });
  };
}

/**
 * A status listener (the `onStatusChange` option of `ConnectorService` and `OAuthConnections`)
 * that publishes `connection.status_changed` for each transition, plus `connection.recovered`
 * (`error` → `active`) and `connection.refresh_failed` (the provider refused the refresh token).
 */
export function statusEvents(stream: EventStream): (event: StatusEvent) => void {
  return (event) => {
    const fields = {
      time: event.at,
      tenantId: event.tenantId,
      connectionId: event.connectionId,
      from: event.from,
      to: event.to,
      reason: event.reason,
      ...(event.message !== undefined ? { message: event.message } : {}),
    };
    stream.emit({ type: "connection.status_changed", ...fields });
    if (event.from === "error" && event.to === "active")
      stream.emit({ type: "connection.recovered", ...fields });
    if (event.reason === "refresh_failed") stream.emit({ type: "connection.refresh_failed", ...fields });
  };
}

/** An `onProgress` callback for `rewrap()` that publishes `rewrap.progress` after each credential. */
export function rewrapEvents(stream: EventStream, tenantId?: string): (progress: RewrapProgress) => void {
  return (progress) => {
    stream.emit({
      type: "rewrap.progress",
      ...(tenantId !== undefined ? { tenantId } : {}),
      credentials: progress.credentials,
      rewrapped: progress.rewrapped,
      current: progress.current,
      notMoved: progress.notMoved.length,
      checkpoint: progress.checkpoint,
    });
  };
}
