/**
 * The state a `CredentialManager` shares between its read, write and batch paths, and the few
 * steps every path takes: build the backend key, call the backend with typed failures, audit the
 * outcome. Internal: not exported from the package root.
 */
import { type AuditEvent, AuditRing, AuditTrail } from "./audit.js";
import type { Backend } from "./backend.js";
import { CredentialCache } from "./cache.js";
import { EnvelopeCodec, type PayloadCodec, PlainCodec } from "./envelope.js";
import { CredkitError, UnavailableError } from "./errors.js";
import { fingerprintFields } from "./fingerprint.js";
import { auditedId, checkId, isBoundedId } from "./ids.js";
import { type BackendKey, encodeKey } from "./key-encoding.js";
import { type KeyProvider, requireEncryption } from "./keyring.js";
import type { CredentialManagerOptions } from "./manager-options.js";
import { scrubError } from "./redact.js";

/** The accessor recorded when a caller names none. */
export const UNKNOWN_ACCESSOR = "unknown";

/** Backend keys kept per manager: a tenant's keys repeat on every read (see `ManagerCore.key`). */
const KEYS_KEPT = 1024;

/** Which (action, tenant, name) each failure was already audited for. */
const auditedFailures = new WeakMap<CredkitError, Set<string>>();

/** Turns anything a backend throws into a credkit error whose cause carries no secret. */
export function asCredkitError(error: unknown, backend: string): CredkitError {
  if (CredkitError.isInstance(error)) return error;
  return new UnavailableError("Backend call failed unexpectedly.", {
    source: backend,
    cause: scrubError(error),
  });
}

/** One manager's backend, codec, cache and audit trail, with the steps every path shares. */
export class ManagerCore {
  readonly backend: Backend;
  readonly codec: PayloadCodec;
  /** The key provider, or false when application encryption is off. */
  readonly provider: KeyProvider | false;
  readonly cache: CredentialCache;
  readonly audit: AuditRing;
  readonly trail: AuditTrail;
  /** Recently built backend keys by tenant, then name; cleared whole when it reaches `KEYS_KEPT`. */
  readonly #keys = new Map<string, Map<string, BackendKey>>();
  #keysKept = 0;

  constructor(options: CredentialManagerOptions) {
    this.backend = options.backend;
    this.provider = requireEncryption((options as Partial<CredentialManagerOptions>).encryption);
    this.codec = this.provider ? new EnvelopeCodec(this.provider) : new PlainCodec();
    this.cache = new CredentialCache(options.cache === false ? { ttlMs: 0 } : options.cache);
    this.audit = new AuditRing(options.audit?.ringSize);
    this.trail = new AuditTrail(this.audit, options.audit?.sinks ?? []);
  }

  /** Keyed fingerprints of `fields`, bound to (tenantId, connectionId, field); none without a keyed provider. */
  fingerprints(
    tenantId: string,
    connectionId: string,
    fields: Readonly<Record<string, string>>,
  ): Record<string, string> {
    return fingerprintFields(this.provider, tenantId, connectionId, fields);
  }

  /** The backend key of (tenantId, connectionId), after checking both ids are within bounds. */
  key(tenantId: string, connectionId: string): BackendKey {
    // why: only ids that passed the bounds check are kept, so a hit needs no check again.
    const known = this.#keys.get(tenantId)?.get(connectionId);
    if (known !== undefined) return known;
    const key = encodeKey(
      checkId(tenantId, "userId"),
      checkId(connectionId, "connectionId"),
      this.backend.capabilities.maxKeyLength,
    );
    if (this.#keysKept >= KEYS_KEPT) {
      this.#keys.clear();
      this.#keysKept = 0;
    }
    const names = this.#keys.get(tenantId);
    if (names === undefined) this.#keys.set(tenantId, new Map([[connectionId, key]]));
    else names.set(connectionId, key);
    this.#keysKept++;
    return key;
  }

  /** Calls the backend; whatever it throws comes out as a credkit error. */
  call<T>(call: () => Promise<T>): Promise<T> {
    // why: not an async function: one promise less on every backend call (the read path's cost).
    const fail = (error: unknown): never => {
      throw asCredkitError(error, this.backend.name);
    };
    try {
      return call().catch(fail);
    } catch (error) {
      return Promise.reject(asCredkitError(error, this.backend.name));
    }
  }

  /** Records a successful operation. */
  emit(
    action: AuditEvent["action"],
    tenantId: string,
    connectionId: string | undefined,
    accessor: string,
    version?: number,
    correlationId?: string,
  ): void {
    this.trail.emit({
      time: Date.now(),
      tenant: tenantId,
      ...(connectionId !== undefined ? { name: connectionId } : {}),
      accessor,
      action,
      outcome: "success",
      ...(version !== undefined ? { version } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
    });
  }

  /** Records a failed operation (once per failure and subject) and returns it as a credkit error. */
  fail(
    action: AuditEvent["action"],
    tenantId: string,
    connectionId: string | undefined,
    accessor: string | undefined,
    error: unknown,
    correlationId?: string,
  ): CredkitError {
    const failure = asCredkitError(error, this.backend.name);
    // why: an id out of bounds is never kept in the audit ring (it may be megabytes long).
    const subjectTenantId = auditedId(tenantId);
    const subjectConnectionId = isBoundedId(connectionId) ? connectionId : undefined;
    // why: one failure can pass through nested handlers (and a batch failure is shared by every
    // item of the batch); each (tenantId, connectionId, action) is recorded exactly once.
    const subject = `${action}\0${subjectTenantId}\0${subjectConnectionId ?? ""}`;
    const recorded = (auditedFailures.get(failure) ?? new Set<string>()) as Set<string>;
    if (recorded.has(subject)) return failure;
    auditedFailures.set(failure, recorded.add(subject));
    this.trail.emit({
      time: Date.now(),
      tenant: subjectTenantId,
      ...(subjectConnectionId !== undefined ? { name: subjectConnectionId } : {}),
      accessor: accessor ?? UNKNOWN_ACCESSOR,
      action,
      outcome: "failure",
      errorCode: failure.code,
      ...(isBoundedId(correlationId) ? { correlationId } : {}),
    });
    return failure;
  }
}
