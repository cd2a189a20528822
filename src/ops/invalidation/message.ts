/**
 * What replicas tell each other when a credential changes: its tenant id and connection id (never
 * values), the version written and the action. Encoded as a small JSON text, which fits a
 * PostgreSQL `NOTIFY` payload (8000 bytes) and a Redis message alike. Anything that does not
 * decode is ignored: a channel may carry messages from elsewhere.
 */
import { isBoundedId } from "../../core/ids.js";

/** The actions that change what a read returns. */
export type ChangeAction = "write" | "rotate" | "delete" | "purge" | "restore";

const CHANGE_ACTIONS: ReadonlySet<string> = new Set<ChangeAction>([
  "write",
  "rotate",
  "delete",
  "purge",
  "restore",
]);

/** One change, as published to the other replicas. */
export interface ChangeMessage {
  /** The publishing replica, so it can skip its own messages. */
  readonly origin: string;
  readonly tenantId: string;
  /** The connection id (the credential's name; the manager's `connectionId` argument). */
  readonly connectionId: string;
  readonly action: ChangeAction;
  /** The version written, for writes and rotations. */
  readonly version?: number;
}

/** Whether an audit action changes what a read returns. */
export function isChangeAction(action: string): action is ChangeAction {
  return CHANGE_ACTIONS.has(action);
}

/** The wire form of a message. */
export function encodeChange(message: ChangeMessage): string {
  return JSON.stringify({
    v: 1,
    o: message.origin,
    t: message.tenantId,
    n: message.connectionId,
    a: message.action,
    ...(message.version !== undefined ? { ver: message.version } : {}),
  });
}

/** The message in `text`, or undefined when it is not one. */
export function decodeChange(text: string): ChangeMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { v, o, t, n, a, ver } = parsed as Record<string, unknown>;
  if (v !== 1 || typeof o !== "string" || !isBoundedId(t) || !isBoundedId(n)) return undefined;
  if (typeof a !== "string" || !isChangeAction(a)) return undefined;
  if (ver !== undefined && !(typeof ver === "number" && Number.isSafeInteger(ver))) return undefined;
  return {
    origin: o,
    tenantId: t,
    connectionId: n,
    action: a,
    ...(ver !== undefined ? { version: ver } : {}),
  };
}
