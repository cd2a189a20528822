/**
 * `CredentialManager`: the tenant-scoped API over one backend. It owns what must behave the same
 * on every store: key encoding, validation, envelope encryption, caching, audit, typed errors.
 * The paths live in files of their own: `single-read.ts`, `batch-reads.ts`, `write-path.ts`,
 * `record-verification.ts`, `rewrap.ts`, `tenant-credentials.ts`.
 */
import type { AuditAction, AuditRing, CallRecord } from "./audit.js";
import type { Backend } from "./backend.js";
import { readMany } from "./batch-reads.js";
import { cacheKey } from "./cache.js";
import { credentialInfo } from "./credential-info.js";
import { type CredentialInput, mergeCredentialFields } from "./credential-types.js";
import { UnsupportedError } from "./errors.js";
import { checkId, checkPublicName, isReservedName } from "./ids.js";
import { type KeyCheckResult, type VerifyKeysOptions, verifyRecordKeys } from "./key-check.js";
import { encodeTenantId } from "./key-encoding.js";
import { decodeCursor, encodeCursor, pageLimit } from "./list-paging.js";
import { ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import type {
  AuditContext,
  BatchReadOptions,
  CredentialInfo,
  CredentialManagerOptions,
  CredentialRequest,
  CredentialResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  WriteOptions,
} from "./manager-options.js";
import { openRecord } from "./record-binding.js";
import { missingCredential, verifiedRecord } from "./record-verification.js";
import { type RewrapOptions, type RewrapResult, rewrapRecords } from "./rewrap.js";
import type { SecretFields } from "./secret.js";
import { checkReadIds, readMiss, serveEntry } from "./single-read.js";
import { TenantCredentials, type ViewContext } from "./tenant-credentials.js";
import { writeCredential } from "./write-path.js";

export type { KeyCheckResult, VerifyKeysOptions } from "./key-check.js";
export type {
  AuditContext,
  AuditOptions,
  BatchReadOptions,
  CredentialInfo,
  CredentialManagerOptions,
  CredentialRequest,
  CredentialResult,
  CredentialStatus,
  DeleteOptions,
  GetOptions,
  ListOptions,
  WriteOptions,
} from "./manager-options.js";
export type { VersionFailure } from "./record-walk.js";
export type { RewrapOptions, RewrapProgress, RewrapResult } from "./rewrap.js";
export { TenantCredentials, type ViewContext } from "./tenant-credentials.js";

/** The audit context of a write's options: its actor and correlation id. */
function writer(options: { actor?: string; correlationId?: string }): AuditContext {
  return {
    ...(options.actor !== undefined ? { accessor: options.actor } : {}),
    ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
  };
}

/** Cores lent to a view under construction (see `reservedNamesView`), keyed by a one-use token. */
const lentCores = new WeakMap<object, ManagerCore>();
let coreOfManager: (manager: CredentialManager) => ManagerCore;

export class CredentialManager {
  readonly backend: Backend;
  /** The in-memory ring of recent audit events. */
  readonly audit: AuditRing;
  readonly #core: ManagerCore;
  /** Whether connection ids may be reserved names: only in views made by `reservedNamesView`. */
  readonly #reserved: boolean;

  constructor(options: CredentialManagerOptions) {
    const lent = lentCores.get(options);
    this.#core = lent ?? new ManagerCore(options);
    this.#reserved = lent !== undefined;
    this.backend = this.#core.backend;
    this.audit = this.#core.audit;
  }

  static {
    coreOfManager = (manager) => manager.#core;
  }

  /** Checks the ids of an operation; a failure is audited and thrown. */
  #ids(action: AuditAction, userId: unknown, connectionId: unknown, context: AuditContext = {}): void {
    try {
      checkId(userId, "userId");
      if (this.#reserved) checkId(connectionId, "connectionId");
      else checkPublicName(connectionId);
      if (context.correlationId !== undefined) checkId(context.correlationId, "correlationId");
    } catch (error) {
      throw this.#core.fail(action, userId as string, connectionId as string, context.accessor, error);
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * The credential's fields as `Secret`s. Throws `NotFoundError` (or `DeletedError`) when there
   * is none, `ExpiredError` past its expiry, `IntegrityError` when the ciphertext does not verify.
   */
  async getCredentials(
    connectionId: string,
    userId: string,
    options: GetOptions = {},
  ): Promise<SecretFields> {
    const core = this.#core;
    checkReadIds(core, userId, connectionId, options, this.#reserved);
    const key = cacheKey(userId, connectionId, options.version);
    const hit = options.forceRefresh ? undefined : core.cache.get(key);
    if (hit !== undefined) return serveEntry(core, hit, key, userId, connectionId, options, "hit").fields;
    return (await readMiss(core, key, userId, connectionId, options)).fields;
  }

  /**
   * Reads several credentials at once, in one backend batch where the backend has one. Each
   * result is the fields or that item's own typed error.
   */
  getManyCredentials(
    requests: readonly CredentialRequest[],
    options: BatchReadOptions = {},
  ): Promise<CredentialResult[]> {
    return readMany(this.#core, requests, options, this.#reserved);
  }

  /** Metadata, status and usage of a credential; never its values. */
  async describeCredentials(
    connectionId: string,
    userId: string,
    options: AuditContext = {},
  ): Promise<CredentialInfo> {
    const core = this.#core;
    this.#ids("describe", userId, connectionId, options);
    const { accessor, correlationId } = options;
    try {
      const key = core.key(userId, connectionId);
      const record = verifiedRecord(core, key, await core.call(() => core.backend.get(key)));
      core.emit(
        "describe",
        userId,
        connectionId,
        accessor ?? UNKNOWN_ACCESSOR,
        record.version,
        correlationId,
      );
      return credentialInfo(core, record.metadata, record.version, false);
    } catch (error) {
      throw core.fail("describe", userId, connectionId, accessor, error, correlationId);
    }
  }

  /**
   * A page of a tenant's credentials: metadata only. At most `limit` items (default 100, at most
   * 1000); continue with `cursor` until a page has none. A page may hold fewer items than `limit`.
   */
  async listCredentials(
    userId: string,
    options: ListOptions = {},
  ): Promise<{ items: CredentialInfo[]; cursor?: string }> {
    const core = this.#core;
    try {
      checkId(userId, "userId");
      if (options.correlationId !== undefined) checkId(options.correlationId, "correlationId");
      const scope = `credentials\0${userId}`;
      const limit = pageLimit(options.limit);
      const cursor = decodeCursor(scope, options.cursor);
      const page = await core.call(() =>
        core.backend.list({
          tenantSegment: encodeTenantId(userId),
          limit,
          ...(cursor !== undefined ? { cursor } : {}),
          ...(options.includeDeleted ? { includeDeleted: true } : {}),
        }),
      );
      const items = page.entries
        .filter(
          (entry) =>
            entry.metadata.tenant === userId && (this.#reserved || !isReservedName(entry.metadata.name)),
        )
        .map((entry) => credentialInfo(core, entry.metadata, entry.version, entry.deleted));
      core.emit(
        "list",
        userId,
        undefined,
        options.accessor ?? UNKNOWN_ACCESSOR,
        undefined,
        options.correlationId,
      );
      return page.cursor ? { items, cursor: encodeCursor(scope, page.cursor) } : { items };
    } catch (error) {
      throw core.fail("list", userId, undefined, options.accessor, error, options.correlationId);
    }
  }

  // ---------------------------------------------------------------- writes

  /** Stores a credential (a new one, or a new version of an existing one). */
  async storeCredentials(
    connectionId: string,
    userId: string,
    credentials: CredentialInput,
    options: WriteOptions = {},
  ): Promise<CredentialInfo> {
    this.#ids("write", userId, connectionId, writer(options));
    return writeCredential(this.#core, "write", userId, connectionId, options, async (existing) => ({
      type: options.type ?? existing?.metadata.type ?? "custom",
      fields: credentials,
    }));
  }

  /** Replaces the values of an existing credential with new ones: a new version. */
  async rotateCredentials(
    connectionId: string,
    userId: string,
    credentials: CredentialInput,
    options: WriteOptions = {},
  ): Promise<CredentialInfo> {
    const core = this.#core;
    this.#ids("rotate", userId, connectionId, writer(options));
    return writeCredential(core, "rotate", userId, connectionId, options, async (existing, key) => {
      if (!existing) throw missingCredential(core, key);
      return { type: options.type ?? existing.metadata.type, fields: credentials };
    });
  }

  /**
   * Changes some fields of an existing credential, keeping the others: a new version. The merge
   * is a compare-and-set on the version it read, so a concurrent write makes it throw
   * `ConflictError` instead of losing that write; read again and retry.
   */
  async updateCredentials(
    connectionId: string,
    userId: string,
    changes: CredentialInput,
    options: WriteOptions = {},
  ): Promise<CredentialInfo> {
    const core = this.#core;
    this.#ids("rotate", userId, connectionId, writer(options));
    return writeCredential(core, "rotate", userId, connectionId, options, async (existing, key) => {
      if (!existing) throw missingCredential(core, key);
      const current = await openRecord(core, key, existing);
      const type = options.type ?? existing.metadata.type;
      return {
        type,
        fields: mergeCredentialFields(type, current, changes),
        mergeOf: existing.version,
      };
    });
  }

  /** Deletes a credential: recoverably where the backend can, unless `purge`. */
  async deleteCredentials(connectionId: string, userId: string, options: DeleteOptions = {}): Promise<void> {
    const core = this.#core;
    const action = options.purge ? "purge" : "delete";
    this.#ids(action, userId, connectionId, writer(options));
    try {
      const key = core.key(userId, connectionId);
      await core.call(() => core.backend.delete(key, { purge: options.purge ?? false }));
      core.cache.invalidate(userId, connectionId, true);
      if (options.purge) core.trail.forget(cacheKey(userId, connectionId));
      core.emit(
        action,
        userId,
        connectionId,
        options.actor ?? UNKNOWN_ACCESSOR,
        undefined,
        options.correlationId,
      );
    } catch (error) {
      throw core.fail(action, userId, connectionId, options.actor, error, options.correlationId);
    }
  }

  /** Removes a credential and every version for good. */
  purgeCredentials(
    connectionId: string,
    userId: string,
    options: Omit<DeleteOptions, "purge"> = {},
  ): Promise<void> {
    return this.deleteCredentials(connectionId, userId, { ...options, purge: true });
  }

  /** Undoes a soft delete. `UnsupportedError` where the backend cannot. */
  async restoreCredentials(
    connectionId: string,
    userId: string,
    options: { actor?: string; correlationId?: string } = {},
  ): Promise<void> {
    const core = this.#core;
    this.#ids("restore", userId, connectionId, writer(options));
    try {
      const key = core.key(userId, connectionId);
      const restore = core.backend.restore;
      if (!core.backend.capabilities.softDelete || !restore) {
        throw new UnsupportedError("This backend cannot restore deleted credentials.", {
          source: core.backend.name,
        });
      }
      await core.call(() => restore.call(core.backend, key));
      core.cache.invalidate(userId, connectionId, true);
      core.emit(
        "restore",
        userId,
        connectionId,
        options.actor ?? UNKNOWN_ACCESSOR,
        undefined,
        options.correlationId,
      );
    } catch (error) {
      throw core.fail("restore", userId, connectionId, options.actor, error, options.correlationId);
    }
  }

  /**
   * Re-encrypts every version of every credential (of one tenant, or all; soft-deleted ones
   * included) that is not under the current key and envelope format, each with a compare-and-set
   * so a concurrent write is never overwritten. Versions it cannot move are listed in `notMoved`
   * (their keys must stay in the keyring). Resumable (`from` a reported `checkpoint`), with
   * `onProgress` after each credential.
   */
  rewrap(options: RewrapOptions = {}): Promise<RewrapResult> {
    return rewrapRecords(this.#core, options);
  }

  /**
   * How many stored versions (every version of every credential, soft-deleted ones included)
   * the current keyring can open, and which it cannot, by ids. Run it at start-up to find a
   * missing key before a customer does.
   */
  verifyKeys(options: VerifyKeysOptions = {}): Promise<KeyCheckResult> {
    return verifyRecordKeys(this.#core, options);
  }

  // ---------------------------------------------------------------- views and housekeeping

  /**
   * A view bound to one tenant, for code that serves one tenant. With `context`, every operation
   * through the view records its actor and correlation id (an HTTP request's caller and id).
   */
  forTenant(tenantId: string, context: ViewContext = {}): TenantCredentials {
    if (context.correlationId !== undefined) checkId(context.correlationId, "correlationId");
    return new TenantCredentials(this, checkId(tenantId, "tenantId"), context);
  }

  /**
   * Records a call a brokered connector made with this credential (action `call`): method, path
   * without query, status, latency and key source. A status of 400 or more, or 0, is a failure.
   */
  recordCall(userId: string, connectionId: string, accessor: string, call: CallRecord): void {
    this.#record(userId, connectionId, accessor, "call", call.status > 0 && call.status < 400, call);
  }

  /** Records the outcome of a connection test in the audit trail. */
  recordTest(userId: string, connectionId: string, accessor: string, success: boolean): void {
    this.#record(userId, connectionId, accessor, "test", success);
  }

  #record(
    userId: string,
    connectionId: string,
    accessor: string,
    action: "call" | "test",
    success: boolean,
    call?: CallRecord,
  ): void {
    checkId(userId, "userId");
    checkId(connectionId, "connectionId");
    this.#core.trail.emit({
      time: Date.now(),
      tenant: userId,
      name: connectionId,
      accessor,
      action,
      outcome: success ? "success" : "failure",
      ...(call ? { call } : {}),
    });
  }

  /** Empties the read cache. */
  clearCache(): void {
    this.#core.cache.clear();
  }

  /** Releases the backend's connections and clients. */
  async close(): Promise<void> {
    this.#core.cache.clear();
    await this.backend.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The core of a manager, for credkit's own records (`system-records.ts`). Internal. */
export function managerCore(manager: CredentialManager): ManagerCore {
  return coreOfManager(manager);
}

/**
 * A view of `manager` (same backend, cache, keys and audit) whose connection ids may be reserved
 * names: the way credkit's own code stores credentials under names no tenant can take. Internal.
 */
export function reservedNamesView(manager: CredentialManager): CredentialManager {
  const token = {} as CredentialManagerOptions;
  lentCores.set(token, coreOfManager(manager));
  return new CredentialManager(token);
}
