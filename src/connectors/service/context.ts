/**
 * What every part of the connector service shares: the tenant, the stores, the options, and the
 * read-modify-write of a connection record with its status transition.
 */
import type { CredentialManager, TenantCredentials } from "../../core/credential-manager.js";
import { ConflictError, NotFoundError } from "../../core/errors.js";
import type { ConnectionRecord, ConnectionStore } from "../connection-store.js";
import {
  type ConnectionStatus,
  type LifecycleState,
  type StatusEvent,
  type StatusTransition,
  type TransitionReason,
  transition,
} from "../lifecycle.js";
import type { ConnectorRegistry } from "../registry.js";
import type { ConnectorOptions } from "../types.js";
import type { ReferencePolicy } from "./reference-policy.js";

/** Options of `new ConnectorService(...)`. */
export interface ConnectorServiceOptions {
  /** Where the secrets live. */
  credentials: CredentialManager;
  /** The tenant every call is scoped to. */
  tenantId: string;
  /**
   * Where connection records live.
   * @default credentialConnectionStore(credentials): beside the credentials, in the same backend
   * (durable wherever the credentials are); `memoryConnectionStore()` for tests
   */
  store?: ConnectionStore | undefined;
  /**
   * Decides which secrets a connection may resolve. By default a connection resolves its own
   * secrets and the tenant's ordinary credentials, never another connection's own secrets;
   * the policy sees that default decision (`allowedByDefault`) and returns its own.
   */
  referencePolicy?: ReferencePolicy | undefined;
  /** Registry to build connectors from. @default the default registry */
  registry?: ConnectorRegistry<object> | undefined;
  /** Options for every connector built (e.g. `baseURL`, `timeout`), or a function per connector id. */
  connectorOptions?: (ConnectorOptions | ((connector: string) => ConnectorOptions)) | undefined;
  /**
   * Transitions kept per connection.
   * @default 20
   */
  historyLimit?: number | undefined;
  /** Called on every status transition. Must not throw (errors are ignored). */
  onStatusChange?: ((event: StatusEvent) => void) | undefined;
  /** Who acts, recorded on writes. */
  actor?: string | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** The shared state of one `ConnectorService`. */
export interface ServiceContext {
  readonly tenantId: string;
  readonly manager: CredentialManager;
  /** The tenant's credentials, owned ones (reserved names) included. */
  readonly tenantCredentials: TenantCredentials;
  readonly store: ConnectionStore;
  readonly registry: ConnectorRegistry<object>;
  readonly options: ConnectorServiceOptions;
  readonly now: () => Date;
  readonly listeners: Set<(event: StatusEvent) => void>;
}

/** A change of a record, with an optional status transition. */
export interface RecordChange {
  record: ConnectionRecord;
  to?: ConnectionStatus | undefined;
  reason?: TransitionReason | undefined;
  message?: string | undefined;
}

const MAX_WRITE_ATTEMPTS = 5;

/** The accessor recorded in the audit trail for a connection's reads. */
export function accessorOf(id: string): string {
  return `connector_${id}`;
}

/** Options of a credential write made for a connection. */
export function writeOptions(
  context: ServiceContext,
  expiresAt: Date | string | undefined,
): { expiresAt?: Date | string; actor?: string } {
  return {
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(context.options.actor !== undefined ? { actor: context.options.actor } : {}),
  };
}

/** A connection record of the tenant; `NotFoundError` when there is none. */
export async function loadRecord(context: ServiceContext, id: string): Promise<ConnectionRecord> {
  const record = typeof id === "string" ? await context.store.get(context.tenantId, id) : undefined;
  if (!record) throw new NotFoundError(`No connection "${String(id).slice(0, 100)}" for this tenant.`);
  return record;
}

/** Tells every listener about a transition; a throwing listener is ignored. */
export function announce(
  context: ServiceContext,
  record: ConnectionRecord,
  step: StatusEvent | StatusTransition,
): void {
  const event: StatusEvent = { ...step, tenantId: context.tenantId, connectionId: record.id };
  for (const listener of context.listeners) {
    try {
      listener(event);
    } catch {
      // listeners must not break the service
    }
  }
}

/** The record after `change`, with its transition applied, the next revision and the time. */
function applyChange(
  context: ServiceContext,
  current: ConnectionRecord,
  change: RecordChange,
): { next: ConnectionRecord; step?: StatusEvent } {
  const { record, to, reason, message } = change;
  let next: ConnectionRecord = {
    ...record,
    updatedAt: context.now().toISOString(),
    revision: current.revision + 1,
  };
  if (to === undefined || reason === undefined) return { next };
  const moved = transition(next as LifecycleState, to, reason, {
    now: context.now(),
    ...(message !== undefined ? { message } : {}),
    ...(context.options.historyLimit !== undefined ? { historyLimit: context.options.historyLimit } : {}),
  });
  next = { ...next, ...moved.state } as ConnectionRecord;
  if (moved.state.errorMessage === undefined) {
    const { errorMessage: _dropped, ...rest } = next;
    next = rest as ConnectionRecord;
  }
  return { next, step: { ...moved.transition, tenantId: context.tenantId, connectionId: current.id } };
}

/** Read-modify-write of a record with optimistic concurrency, plus an optional transition. */
export async function mutate(
  context: ServiceContext,
  id: string,
  change: (record: ConnectionRecord) => RecordChange,
): Promise<ConnectionRecord> {
  for (let attempt = 1; ; attempt++) {
    const current = await loadRecord(context, id);
    const { next, step } = applyChange(context, current, change(current));
    try {
      await context.store.put(next, current.revision);
    } catch (error) {
      if (ConflictError.isInstance(error) && attempt < MAX_WRITE_ATTEMPTS) continue;
      throw error;
    }
    if (step) announce(context, next, step);
    return next;
  }
}
