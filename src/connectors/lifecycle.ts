/**
 * The lifecycle of a tenant connection: `pending` → `validating` → `active` | `error`, plus
 * `disabled` (by a person) and `expired` (a credential past its expiry). Each transition has a
 * reason and a time, is kept in a bounded history, and is announced to listeners.
 */
import { ValidationError } from "../core/errors.js";

/** Where a connection stands. */
export type ConnectionStatus = "pending" | "validating" | "active" | "error" | "disabled" | "expired";

/** Why a transition happened. */
export type TransitionReason =
  | "created"
  | "credentials_changed"
  | "rotated"
  | "validation_started"
  | "validated"
  | "validation_failed"
  | "disabled"
  | "enabled"
  | "expired"
  /** An OAuth authorization (connect or reconnect) stored new tokens. */
  | "authorized"
  /** The OAuth grant is dead: the refresh token was refused and no other replica had rotated it. */
  | "refresh_failed"
  /** Tokens work again after a `refresh_failed` error. */
  | "recovered";

/** One transition, as kept in the history and sent to listeners. */
export interface StatusTransition {
  readonly from: ConnectionStatus | null;
  readonly to: ConnectionStatus;
  readonly reason: TransitionReason;
  /** ISO 8601. */
  readonly at: string;
  /** For failures: the message (never a secret). */
  readonly message?: string | undefined;
}

/** A transition event: the transition plus which connection it belongs to. */
export interface StatusEvent extends StatusTransition {
  readonly tenantId: string;
  readonly connectionId: string;
}

/** The status fields of a connection record. */
export interface LifecycleState {
  readonly status: ConnectionStatus;
  readonly statusReason: TransitionReason;
  /** Last successful validation. */
  readonly validatedAt?: string | undefined;
  /** Message of the last failed validation; cleared on success. */
  readonly errorMessage?: string | undefined;
  readonly lastTransitionAt: string;
  /** The latest transitions, oldest first, at most `historyLimit` of them. */
  readonly history: readonly StatusTransition[];
}

/** Default number of transitions kept per connection. */
export const DEFAULT_HISTORY_LIMIT = 20;

const ALLOWED: Readonly<Record<ConnectionStatus, readonly ConnectionStatus[]>> = {
  pending: ["validating", "disabled", "expired", "pending", "active"],
  validating: ["active", "error", "expired", "pending", "disabled", "validating"],
  active: ["validating", "pending", "error", "disabled", "expired", "active"],
  error: ["validating", "pending", "disabled", "expired", "active"],
  disabled: ["pending"],
  expired: ["pending", "disabled", "validating", "active"],
};

/** Whether `from → to` is a legal transition. */
export function canTransition(from: ConnectionStatus, to: ConnectionStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** The initial state of a new connection. */
export function initialState(now: Date): LifecycleState {
  const at = now.toISOString();
  return {
    status: "pending",
    statusReason: "created",
    lastTransitionAt: at,
    history: [{ from: null, to: "pending", reason: "created", at }],
  };
}

/**
 * The state after a transition. Throws `ValidationError` for an illegal one (e.g. `disabled →
 * active` without a validation).
 */
export function transition(
  state: LifecycleState,
  to: ConnectionStatus,
  reason: TransitionReason,
  options: { now: Date; message?: string; historyLimit?: number },
): { state: LifecycleState; transition: StatusTransition } {
  if (!canTransition(state.status, to)) {
    throw new ValidationError(`A connection cannot go from ${state.status} to ${to}.`, "status");
  }
  const at = options.now.toISOString();
  const step: StatusTransition = {
    from: state.status,
    to,
    reason,
    at,
    ...(options.message !== undefined ? { message: options.message } : {}),
  };
  const limit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  const { errorMessage: _previousError, ...rest } = state;
  const next: LifecycleState = {
    ...rest,
    status: to,
    statusReason: reason,
    lastTransitionAt: at,
    history: [...state.history, step].slice(-limit),
    ...(to === "active" ? { validatedAt: at } : {}),
    ...(to === "error" || to === "expired"
      ? { errorMessage: options.message ?? to }
      : to === "active" || to === "pending"
        ? {}
        : state.errorMessage !== undefined
          ? { errorMessage: state.errorMessage }
          : {}),
  };
  return { state: next, transition: step };
}
