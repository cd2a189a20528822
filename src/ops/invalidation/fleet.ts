/**
 * Fleet-wide cache invalidation: every successful write, rotation, delete, purge or restore of
 * this replica is published on a shared channel, and every change another replica publishes drops
 * the cached copy here. When the channel was lost and is back, the whole cache is emptied, since
 * changes published meanwhile were missed. Messages carry ids and versions, never values.
 *
 * The publisher listens to the manager's audit trail, so it sees each change exactly once and
 * after it succeeded; the read path is untouched.
 */
import { randomUUID } from "node:crypto";
import type { AuditEvent } from "../../core/audit.js";
import { type CredentialManager, managerCore } from "../../core/credential-manager.js";
import { UnavailableError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { type ChangeMessage, decodeChange, encodeChange, isChangeAction } from "./message.js";
import type { InvalidationTransport } from "./transport.js";

/** Options of `fleetInvalidation`. */
export interface FleetInvalidationOptions {
  /**
   * Told when a change could not be published (the write itself succeeded; other replicas then
   * serve their cached copy until its TTL ends) or the transport lost its connection. The error
   * is an `UnavailableError` whose cause is scrubbed.
   */
  onError?: (error: UnavailableError) => void;
}

/** Counters of one replica's invalidation, for metrics and tests. */
export interface InvalidationStats {
  /** Changes of this replica published. */
  readonly published: number;
  /** Changes of other replicas received (each dropped a cached copy). */
  readonly received: number;
  /** Times the whole cache was emptied after the channel came back. */
  readonly resyncs: number;
  /** Changes that could not be published. */
  readonly publishFailures: number;
}

/** A running fleet invalidation: its counters, and `close()`. */
export interface FleetInvalidation {
  /** A snapshot of the counters. */
  stats(): InvalidationStats;
  /** Stops publishing and listening, and closes the transport. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Connects `manager`'s cache to the other replicas through `transport` (`postgresInvalidation`,
 * `redisInvalidation`). Resolves once subscribed. For stores with neither, see `versionPolling`.
 */
export async function fleetInvalidation(
  manager: CredentialManager,
  transport: InvalidationTransport,
  options: FleetInvalidationOptions = {},
): Promise<FleetInvalidation> {
  const core = managerCore(manager);
  const origin = randomUUID();
  const counts = { published: 0, received: 0, resyncs: 0, publishFailures: 0 };
  const report = (message: string, cause: unknown) => {
    const error = new UnavailableError(message, { source: transport.name, cause: scrubError(cause) });
    try {
      options.onError?.(error);
    } catch {
      // why: a failing error callback must not break the channel.
    }
  };

  await transport.subscribe({
    onMessage: (text) => {
      const change = decodeChange(text);
      if (!change || change.origin === origin) return;
      counts.received++;
      core.cache.invalidate(
        change.tenantId,
        change.connectionId,
        change.action !== "write" && change.action !== "rotate",
      );
    },
    onResync: () => {
      counts.resyncs++;
      core.cache.clear();
    },
    onError: (error) => report(`The ${transport.name} invalidation channel failed; reconnecting.`, error),
  });

  const publish = (event: AuditEvent) => {
    if (event.outcome !== "success" || event.name === undefined || !isChangeAction(event.action)) return;
    const change: ChangeMessage = {
      origin,
      tenantId: event.tenant,
      connectionId: event.name,
      action: event.action,
      ...(event.version !== undefined ? { version: event.version } : {}),
    };
    const sent = transport.publish(encodeChange(change)).then(
      () => {
        counts.published++;
      },
      (error: unknown) => {
        counts.publishFailures++;
        report(`A change could not be published on the ${transport.name} invalidation channel.`, error);
      },
    );
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  };
  const pending = new Set<Promise<void>>();
  const removeSink = core.trail.addSink(publish);

  const close = async () => {
    removeSink();
    // why: changes written just before close still reach the other replicas.
    await Promise.all(pending);
    await transport.close();
  };
  return { stats: () => ({ ...counts }), close, [Symbol.asyncDispose]: close };
}
