/**
 * The typed event stream of credential and connection changes. Events carry ids, versions,
 * statuses, times and counts, never a value: every publisher builds them from metadata (audit
 * events, status transitions, rewrap totals, alert findings), not from credentials.
 */
import { randomBytes } from "node:crypto";
import type { ConnectionStatus, TransitionReason } from "../connectors/lifecycle.js";

/** What every event has. */
interface EventBase {
  /** Unique per event (`evt_…`); a webhook delivery sends it as `webhook-id`, retries keep it. */
  readonly id: string;
  /** When it happened, ISO 8601. */
  readonly time: string;
}

/** An event about one tenant's data. */
interface TenantEventBase extends EventBase {
  readonly tenantId: string;
}

/** A credential was written or removed (from the manager's audit trail). */
export interface CredentialChangeEvent extends TenantEventBase {
  readonly type: "credential.stored" | "credential.rotated" | "credential.deleted";
  /** The credential's name (its `connectionId` in the `CredentialManager`). */
  readonly connectionId: string;
  /** The version written, when known. */
  readonly version?: number;
  /** Who acted; `unknown` when the caller did not say. */
  readonly actor: string;
  /** For `credential.deleted`: removed for good rather than recoverably. */
  readonly purged?: boolean;
}

/** A connection changed status (`connection.status_changed` for every transition). */
export interface ConnectionStatusEvent extends TenantEventBase {
  /**
   * `connection.recovered`: back to `active` from `error`; `connection.refresh_failed`: the
   * provider refused the OAuth refresh token. Both also come as `connection.status_changed`.
   */
  readonly type: "connection.status_changed" | "connection.recovered" | "connection.refresh_failed";
  readonly connectionId: string;
  readonly from: ConnectionStatus | null;
  readonly to: ConnectionStatus;
  readonly reason: TransitionReason;
  /** For failures: why (never a secret). */
  readonly message?: string;
}

/** Running totals of a rewrap, after each credential. */
export interface RewrapProgressEvent extends EventBase {
  readonly type: "rewrap.progress";
  /** The tenant rewrapped, or absent for a rewrap of every tenant. */
  readonly tenantId?: string;
  readonly credentials: number;
  readonly rewrapped: number;
  readonly current: number;
  /** Versions that could not be moved so far. */
  readonly notMoved: number;
  /** Where a stopped rewrap resumes (`from`). */
  readonly checkpoint: string;
}

/** An alert about a credential, computed from its metadata (see `checkAlerts`). */
export interface CredentialAlertEvent extends TenantEventBase {
  readonly type:
    | "credential.expiring"
    | "credential.rotation_due"
    | "credential.unused"
    | "credential.undecryptable";
  /** The credential's name (its `connectionId` in the `CredentialManager`). */
  readonly connectionId: string;
  /** The tenant connections that use the credential, when known. */
  readonly connections?: readonly string[];
  /** The moment the alert is about: expiry, rotation due date, last use (absent: never used). */
  readonly at?: string;
  /** The version concerned (for `credential.undecryptable`: the one that does not open). */
  readonly version?: number;
  /** For `credential.undecryptable`: the key id the version names, and why it does not open. */
  readonly keyId?: string | null;
  readonly reason?: string;
  /** A one-line explanation, e.g. "expires in 3 days". */
  readonly message: string;
}

/** Every event of the stream. */
export type CredkitEvent =
  | CredentialChangeEvent
  | ConnectionStatusEvent
  | RewrapProgressEvent
  | CredentialAlertEvent;

/** The `type` of every event. */
export type CredkitEventType = CredkitEvent["type"];

/** The event of a given type. */
export type EventOf<T extends CredkitEventType> = CredkitEvent extends infer E
  ? E extends CredkitEvent
    ? T extends E["type"]
      ? E & { readonly type: T }
      : never
    : never
  : never;

/** What a publisher hands to `emit`: an event without its `id` (and optionally without `time`). */
export type EventInput = CredkitEvent extends infer E
  ? E extends CredkitEvent
    ? Omit<E, "id" | "time"> & { time?: string }
    : never
  : never;

/** A subscriber; must not throw (errors are counted and ignored). It may return a promise, not awaited. */
export type EventListener<E extends CredkitEvent = CredkitEvent> = (event: E) => void | Promise<void>;

/** Options of `createEventStream`. */
export interface EventStreamOptions {
  /** Clock for event times, epoch ms. @default Date.now */
  now?: () => number;
}

/** A small typed emitter: publishers call `emit`, subscribers `on`. */
export class EventStream {
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #now: () => number;
  #listenerErrors = 0;

  constructor(options: EventStreamOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Subscribes to one event type, or to every event with `"*"`; returns the unsubscribe function. */
  on<T extends CredkitEventType>(type: T, listener: EventListener<EventOf<T>>): () => void;
  on(type: "*", listener: EventListener): () => void;
  on(type: string, listener: EventListener<never>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    set.add(listener as EventListener);
    return () => set.delete(listener as EventListener);
  }

  /** Publishes an event to its type's subscribers and to `"*"`; returns it with its id and time. */
  emit(input: EventInput): CredkitEvent {
    const event = {
      id: `evt_${randomBytes(12).toString("base64url")}`,
      ...input,
      time: input.time ?? new Date(this.#now()).toISOString(),
    } as CredkitEvent;
    for (const key of [event.type, "*"]) {
      for (const listener of this.#listeners.get(key) ?? []) this.#deliver(listener, event);
    }
    return event;
  }

  /** How many times a listener threw or rejected. */
  get listenerErrors(): number {
    return this.#listenerErrors;
  }

  #deliver(listener: EventListener, event: CredkitEvent): void {
    try {
      const result = listener(event);
      if (result && typeof result.then === "function") {
        result.then(undefined, () => {
          this.#listenerErrors++;
        });
      }
    } catch {
      this.#listenerErrors++;
    }
  }
}

/** A new event stream. */
export function createEventStream(options: EventStreamOptions = {}): EventStream {
  return new EventStream(options);
}
