/**
 * Which replica tests a connection now, and when it is next due: one small lease record per
 * connection, claimed and released with the store's compare-and-set. Replicas share the schedule
 * through it, so a connection is tested once per interval by the fleet, never by two replicas at
 * once; a replica that dies holding a lease blocks the connection only until the lease runs out.
 */
import type { CredentialManager } from "../core/credential-manager.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { systemRecords } from "../core/system-records.js";

/** The schedule the fleet shares for one connection. */
export interface LeaseSchedule {
  /** When the connection is next due, epoch ms. */
  readonly nextAt: number;
  /** Consecutive failed checks (0 after a success). */
  readonly failures: number;
}

/** The outcome of a claim. */
export type LeaseClaim =
  | {
      readonly claimed: true;
      readonly failures: number;
      /** Pass back to `release`. */
      readonly token: number;
    }
  | {
      readonly claimed: false;
      /** When the connection is next due, if that is why it was not claimed. */
      readonly nextAt?: number;
    };

/** Leases per (tenant, connection). */
export interface LeaseStore {
  /**
   * Claims the connection for `owner` until `now + ttlMs`, unless another owner's lease is still
   * running or the connection is not due yet (`nextAt` after `now`). Atomic across replicas.
   */
  claim(
    tenantId: string,
    connectionId: string,
    owner: string,
    now: number,
    ttlMs: number,
  ): Promise<LeaseClaim>;
  /** Ends a claim, recording the next due time; a lease taken over meanwhile is left alone. */
  release(tenantId: string, connectionId: string, token: number, schedule: LeaseSchedule): Promise<void>;
  /** Removes the lease record of a connection that is gone. */
  forget(tenantId: string, connectionId: string): Promise<void>;
}

interface LeaseRecord extends LeaseSchedule {
  /** The replica holding the lease, or null. */
  readonly owner: string | null;
  /** When the lease runs out, epoch ms. */
  readonly until: number;
}

/** Clock differences between replicas tolerated when deciding whether a connection is due, ms. */
const SKEW_MS = 1000;

/**
 * Leases kept in the credential store beside the connections (reserved names, encrypted like
 * everything else), claimed with its compare-and-set; `namespace` keeps one user's leases (the
 * monitor's, the alert scheduler's) apart from another's. Atomic on every store whose
 * `compareAndSet` is `atomic`; on a best-effort store two replicas may rarely both claim.
 */
export function credentialStoreLeases(
  credentials: CredentialManager,
  namespace = "monitor-lease",
): LeaseStore {
  const records = systemRecords<LeaseRecord>(credentials, namespace);
  return {
    async claim(tenantId, connectionId, owner, now, ttlMs) {
      const current = await records.get(tenantId, connectionId);
      const lease = current?.value;
      if (lease && lease.owner !== null && lease.owner !== owner && lease.until > now)
        return { claimed: false };
      if (lease && lease.nextAt - now > SKEW_MS) return { claimed: false, nextAt: lease.nextAt };
      const failures = lease?.failures ?? 0;
      try {
        const { version } = await records.put(
          tenantId,
          connectionId,
          { owner, until: now + ttlMs, nextAt: lease?.nextAt ?? now, failures },
          { ifVersion: current?.version ?? 0 },
        );
        return { claimed: true, failures, token: version };
      } catch (error) {
        if (ConflictError.isInstance(error)) return { claimed: false };
        throw error;
      }
    },
    async release(tenantId, connectionId, token, schedule) {
      try {
        await records.put(
          tenantId,
          connectionId,
          { owner: null, until: 0, ...schedule },
          { ifVersion: token },
        );
      } catch (error) {
        // why: the lease outlived its time and another replica took over; its schedule wins.
        if (!ConflictError.isInstance(error)) throw error;
      }
    },
    async forget(tenantId, connectionId) {
      try {
        await records.purge(tenantId, connectionId);
      } catch (error) {
        if (!NotFoundError.isInstance(error)) throw error;
      }
    },
  };
}
