/**
 * `CredentialManager`: the tenant-scoped API over one backend. It owns what must behave the same
 * on every store: key encoding, validation, envelope encryption, caching, audit, typed errors.
 */
import { type AuditEvent, AuditRing, type AuditSink, AuditTrail, type CacheOutcome } from "./audit.js";
import type { Backend, BackendListEntry, BackendRecord, RecordMetadata } from "./backend.js";
import { type CachedCredential, type CacheOptions, CredentialCache, cacheKey } from "./cache.js";
import { coarseNow } from "./clock.js";
import { type CredentialInput, type CredentialType, validateCredential } from "./credential-types.js";
import { EnvelopeCodec, type PayloadCodec, PlainCodec } from "./envelope.js";
import {
  ConflictError,
  CredkitError,
  DeletedError,
  ExpiredError,
  NotFoundError,
  UnavailableError,
  UnsupportedError,
  ValidationError,
} from "./errors.js";
import { type BackendKey, encodeKey, encodeTenant } from "./key-encoding.js";
import { type KeyProvider, plainFingerprint } from "./keyring.js";
import { scrubError } from "./redact.js";
import { Secret, type SecretFields } from "./secret.js";

/** Options of `new CredentialManager(...)`. Most users call `createCredentialManager()` instead. */
export interface CredentialManagerOptions {
  /** The store. */
  backend: Backend;
  /**
   * Key provider for envelope encryption, or `false` to store payloads unencrypted (only for a
   * backend that encrypts on its own and a deliberate choice).
   */
  encryption: KeyProvider | false;
  /**
   * Read cache settings, or `false` for none.
   * @default { ttlMs: 5000, maxEntries: 1000, maxStaleMs: 60000 }
   */
  cache?: CacheOptions | false;
  /** Audit settings. */
  audit?: AuditOptions;
}

/** Where audit events go. */
export interface AuditOptions {
  /**
   * Extra sinks besides the in-memory ring: `loggerSink(pino())`, `jsonLinesSink(path)` or any
   * callback.
   */
  sinks?: AuditSink[];
  /**
   * Events kept in the in-memory ring (`manager.audit.events()`).
   * @default 1000
   */
  ringSize?: number;
}

/** Options of `storeCredentials`, `rotateCredentials` and `updateCredentials`. */
export interface WriteOptions {
  /**
   * The credential type, which decides the fields required.
   * @default "custom" for a new credential; the stored type on rotate and update
   */
  type?: CredentialType;
  /** When the credential stops being valid; reads after it throw `ExpiredError`. */
  expiresAt?: Date | string;
  /** Write only if the current version is this (0: only if it does not exist). */
  ifVersion?: number;
  /** Who writes, recorded as `createdBy` and in the audit event. */
  actor?: string;
}

/** Options of `getCredentials`. */
export interface GetOptions {
  /** Who reads, e.g. `connector_42`. Recorded in the audit event. */
  accessor?: string;
  /** Read this version instead of the latest. */
  version?: number;
  /** Skip the cache and read from the backend. */
  forceRefresh?: boolean;
  /** Return an expired credential instead of throwing `ExpiredError`. */
  allowExpired?: boolean;
}

/** Options of `deleteCredentials`. */
export interface DeleteOptions {
  /** Remove for good, even where deletes are recoverable. */
  purge?: boolean;
  /** Who deletes, for the audit event. */
  actor?: string;
}

/** Options of `listCredentials`. */
export interface ListOptions {
  /** The `cursor` of the previous page, to continue from it. */
  cursor?: string;
  /** Page size hint. */
  limit?: number;
  /** Include soft-deleted credentials (status `deleted`). */
  includeDeleted?: boolean;
}

/** Where a credential stands. */
export type CredentialStatus = "active" | "expired" | "deleted";

/** Everything about a credential except its values. */
export interface CredentialInfo {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly type: CredentialType;
  readonly version: number;
  /** Field name → fingerprint: tells values apart without revealing them. */
  readonly fingerprints: Readonly<Record<string, string>>;
  readonly keyId: string | null;
  readonly status: CredentialStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly createdBy?: string;
  readonly expiresAt?: Date;
  /** Successful reads seen by this process. */
  readonly accessCount: number;
  readonly lastAccessAt?: Date;
}

/** One request of `getManyCredentials`. */
export interface CredentialRequest {
  readonly connectionId: string;
  readonly userId: string;
  readonly version?: number;
}

/** One result of `getManyCredentials`: the fields, or the typed error for that item alone. */
export type CredentialResult =
  | { readonly ok: true; readonly credentials: SecretFields; readonly version: number }
  | { readonly ok: false; readonly error: CredkitError };

const UNKNOWN_ACCESSOR = "unknown";

/** Which (action, tenant, name) each failure was already audited for. */
const auditedFailures = new WeakMap<CredkitError, Set<string>>();

function parseExpiry(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError("expiresAt must be a valid date.", "expiresAt");
  }
  return date.toISOString();
}

function requireId(value: unknown, field: string): string {
  if (typeof value !== "string") throw new ValidationError(`${field} must be a string.`, field);
  return value;
}

/** Turns anything a backend throws into a credkit error whose cause carries no secret. */
function asCredkitError(error: unknown, backend: string): CredkitError {
  if (CredkitError.isInstance(error)) return error;
  return new UnavailableError("Backend call failed unexpectedly.", {
    source: backend,
    cause: scrubError(error),
  });
}

export class CredentialManager {
  readonly backend: Backend;
  /** The in-memory ring of recent audit events. */
  readonly audit: AuditRing;
  readonly #codec: PayloadCodec;
  readonly #fingerprint: (value: string) => string;
  readonly #cache: CredentialCache;
  readonly #trail: AuditTrail;

  constructor(options: CredentialManagerOptions) {
    this.backend = options.backend;
    const provider = options.encryption;
    this.#codec = provider ? new EnvelopeCodec(provider) : new PlainCodec();
    this.#fingerprint = (provider ? provider.fingerprint?.bind(provider) : undefined) ?? plainFingerprint;
    this.#cache = new CredentialCache(options.cache === false ? { ttlMs: 0 } : options.cache);
    this.audit = new AuditRing(options.audit?.ringSize);
    this.#trail = new AuditTrail(this.audit, options.audit?.sinks ?? []);
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
    this.#checkIds(connectionId, userId, options);
    const key = cacheKey(userId, connectionId, options.version);
    const hit = options.forceRefresh ? undefined : this.#cache.get(key);
    if (hit !== undefined) return this.#served(hit, key, userId, connectionId, options, "hit").fields;
    return (await this.#miss(key, connectionId, userId, options)).fields;
  }

  /** Typed errors for ids that are not strings (JavaScript callers), before any key is built. */
  #checkIds(connectionId: unknown, userId: unknown, options: GetOptions): void {
    if (typeof connectionId === "string" && typeof userId === "string") return;
    const field = typeof connectionId === "string" ? "userId" : "connectionId";
    const error = new ValidationError(`${field} must be a string.`, field);
    throw this.#fail("read", String(userId), String(connectionId), options.accessor, error);
  }

  /** A read through the cache: the hit path without an extra promise, else the backend. */
  async #read(connectionId: string, userId: string, options: GetOptions): Promise<CachedCredential> {
    this.#checkIds(connectionId, userId, options);
    const key = cacheKey(userId, connectionId, options.version);
    const hit = options.forceRefresh ? undefined : this.#cache.get(key);
    if (hit !== undefined) return this.#served(hit, key, userId, connectionId, options, "hit");
    return this.#miss(key, connectionId, userId, options);
  }

  async #miss(
    key: string,
    connectionId: string,
    userId: string,
    options: GetOptions,
  ): Promise<CachedCredential> {
    try {
      const { value, outcome } = await this.#cache.load(key, () =>
        this.#load(userId, connectionId, options.version),
      );
      const cache = outcome === "stale" ? "stale" : this.#cache.enabled ? "miss" : "bypass";
      return this.#served(value, key, userId, connectionId, options, cache);
    } catch (error) {
      throw this.#fail("read", userId, connectionId, options.accessor, error);
    }
  }

  /** Checks expiry, counts the access and records the read; returns the entry to hand out. */
  #served(
    entry: CachedCredential,
    key: string,
    tenant: string,
    name: string,
    options: GetOptions,
    cache: CacheOutcome,
  ): CachedCredential {
    const now = coarseNow();
    if (entry.expiresAt !== undefined && entry.expiresAt <= now && !options.allowExpired) {
      const error = new ExpiredError(
        `Credential "${name}" expired at ${new Date(entry.expiresAt).toISOString()}.`,
        new Date(entry.expiresAt),
      );
      throw this.#fail("read", tenant, name, options.accessor, error);
    }
    this.#trail.read(
      options.version === undefined ? key : cacheKey(tenant, name),
      now,
      tenant,
      name,
      options.accessor ?? UNKNOWN_ACCESSOR,
      entry.version,
      cache,
    );
    return entry;
  }

  async #load(tenant: string, name: string, version?: number): Promise<CachedCredential> {
    const key = this.#key(tenant, name);
    const record = await this.#backendCall(() => this.backend.get(key, { version }));
    return this.#decrypt(key, record, version);
  }

  async #decrypt(
    key: BackendKey,
    record: BackendRecord | undefined,
    version?: number,
  ): Promise<CachedCredential> {
    const found = this.#verified(key, record, version);
    const plain = await this.#codec.open(key, found.value);
    const fields: Record<string, Secret> = {};
    for (const [field, value] of Object.entries(plain)) fields[field] = new Secret(value);
    return Object.freeze({
      fields: Object.freeze(fields),
      version: found.version,
      metadata: found.metadata,
      expiresAt: found.metadata.expiresAt ? Date.parse(found.metadata.expiresAt) : undefined,
      fetchedAt: Date.now(),
    });
  }

  /** The record, checked to belong to (tenant, name): a key collision reads as absent. */
  #verified(key: BackendKey, record: BackendRecord | undefined, version?: number): BackendRecord {
    if (!record || record.metadata.tenant !== key.tenant || record.metadata.name !== key.name) {
      const which = version === undefined ? "" : ` version ${version}`;
      throw new NotFoundError(`No credential "${key.name}"${which} for this tenant.`, {
        source: this.backend.name,
      });
    }
    return record;
  }

  /**
   * Reads several credentials at once, in one backend batch where the backend has one. Each
   * result is the fields or that item's own typed error.
   */
  async getManyCredentials(
    requests: readonly CredentialRequest[],
    options: Pick<GetOptions, "accessor" | "forceRefresh" | "allowExpired"> = {},
  ): Promise<CredentialResult[]> {
    const results: CredentialResult[] = new Array(requests.length);
    const batch: number[] = [];
    const single: number[] = [];
    requests.forEach((request, index) => {
      const validIds = typeof request.userId === "string" && typeof request.connectionId === "string";
      const cached =
        validIds && request.version === undefined && !options.forceRefresh
          ? this.#cache.get(cacheKey(request.userId, request.connectionId))
          : undefined;
      if (validIds && request.version === undefined && this.backend.getMany && !cached) batch.push(index);
      else single.push(index);
    });
    await Promise.all([
      ...single.map(async (index) => {
        const request = requests[index] as CredentialRequest;
        results[index] = await this.#result(() =>
          this.#read(request.connectionId, request.userId, { ...options, version: request.version }),
        );
      }),
      batch.length > 0 ? this.#loadBatch(requests, batch, results, options) : undefined,
    ]);
    return results;
  }

  async #result(read: () => Promise<CachedCredential>): Promise<CredentialResult> {
    try {
      const entry = await read();
      return { ok: true, credentials: entry.fields, version: entry.version };
    } catch (error) {
      return { ok: false, error: asCredkitError(error, this.backend.name) };
    }
  }

  async #loadBatch(
    requests: readonly CredentialRequest[],
    indexes: number[],
    results: CredentialResult[],
    options: GetOptions,
  ): Promise<void> {
    const keys = indexes.map((index) => {
      const request = requests[index] as CredentialRequest;
      return this.#key(request.userId, request.connectionId);
    });
    const getMany = this.backend.getMany as NonNullable<Backend["getMany"]>;
    let records: Array<BackendRecord | undefined | Error>;
    try {
      records = await this.#backendCall(() => getMany.call(this.backend, keys));
    } catch (error) {
      const failure = asCredkitError(error, this.backend.name);
      records = keys.map(() => failure);
    }
    await Promise.all(
      indexes.map(async (index, position) => {
        const key = keys[position] as BackendKey;
        results[index] = await this.#result(async () => {
          try {
            const record = records[position];
            if (record instanceof Error) throw record;
            const entry = await this.#decrypt(key, record);
            const latest = cacheKey(key.tenant, key.name);
            this.#cache.set(latest, entry);
            return this.#served(
              entry,
              latest,
              key.tenant,
              key.name,
              options,
              this.#cache.enabled ? "miss" : "bypass",
            );
          } catch (error) {
            throw this.#fail("read", key.tenant, key.name, options.accessor, error);
          }
        });
      }),
    );
  }

  /** Metadata, status and usage of a credential; never its values. */
  async describeCredentials(connectionId: string, userId: string): Promise<CredentialInfo> {
    try {
      const key = this.#key(userId, connectionId);
      const record = this.#verified(key, await this.#backendCall(() => this.backend.get(key)));
      this.#emit("describe", userId, connectionId, UNKNOWN_ACCESSOR, record.version);
      return this.#info(record.metadata, record.version, false);
    } catch (error) {
      throw this.#fail("describe", userId, connectionId, undefined, error);
    }
  }

  /** A page of a tenant's credentials: metadata only. */
  async listCredentials(
    userId: string,
    options: ListOptions = {},
  ): Promise<{ items: CredentialInfo[]; cursor?: string }> {
    try {
      requireId(userId, "userId");
      const page = await this.#backendCall(() =>
        this.backend.list({ ...options, tenantSegment: encodeTenant(userId) }),
      );
      const items = page.entries
        .filter((entry) => entry.metadata.tenant === userId)
        .map((entry) => this.#info(entry.metadata, entry.version, entry.deleted));
      this.#emit("list", userId, undefined, UNKNOWN_ACCESSOR);
      return page.cursor ? { items, cursor: page.cursor } : { items };
    } catch (error) {
      throw this.#fail("list", userId, undefined, undefined, error);
    }
  }

  #info(metadata: RecordMetadata, version: number, deleted: boolean): CredentialInfo {
    const stats = this.#trail.stats(cacheKey(metadata.tenant, metadata.name));
    const expiresAt = metadata.expiresAt ? new Date(metadata.expiresAt) : undefined;
    const status: CredentialStatus = deleted
      ? "deleted"
      : expiresAt && expiresAt.getTime() <= Date.now()
        ? "expired"
        : "active";
    return {
      tenantId: metadata.tenant,
      connectionId: metadata.name,
      type: metadata.type,
      version,
      fingerprints: metadata.fingerprints,
      keyId: metadata.keyId,
      status,
      createdAt: new Date(metadata.createdAt),
      updatedAt: new Date(metadata.updatedAt),
      ...(metadata.createdBy !== undefined ? { createdBy: metadata.createdBy } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      accessCount: stats.accessCount,
      ...(stats.lastAccessAt !== undefined ? { lastAccessAt: new Date(stats.lastAccessAt) } : {}),
    };
  }

  // ---------------------------------------------------------------- writes

  /** Stores a credential (a new one, or a new version of an existing one). */
  async storeCredentials(
    connectionId: string,
    userId: string,
    credentials: CredentialInput,
    options: WriteOptions = {},
  ): Promise<CredentialInfo> {
    return this.#write("write", userId, connectionId, options, async (existing) => ({
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
    return this.#write("rotate", userId, connectionId, options, async (existing, key) => {
      if (!existing) throw this.#missing(key);
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
    return this.#write("rotate", userId, connectionId, options, async (existing, key) => {
      if (!existing) throw this.#missing(key);
      const current = await this.#codec.open(key, existing.value);
      return {
        type: options.type ?? existing.metadata.type,
        fields: { ...current, ...changes },
        mergeOf: existing.version,
      };
    });
  }

  #missing(key: BackendKey): NotFoundError {
    return new NotFoundError(`No credential "${key.name}" for this tenant.`, {
      source: this.backend.name,
    });
  }

  async #write(
    action: "write" | "rotate",
    tenant: string,
    name: string,
    options: WriteOptions,
    build: (
      existing: BackendRecord | undefined,
      key: BackendKey,
    ) => Promise<{ type: CredentialType; fields: CredentialInput; mergeOf?: number }>,
  ): Promise<CredentialInfo> {
    try {
      const key = this.#key(tenant, name);
      const expiresAt = parseExpiry(options.expiresAt);
      const existing = await this.#existing(key);
      if (options.ifVersion !== undefined) this.#checkVersion(key, options.ifVersion, existing);
      const { type, fields: input, mergeOf } = await build(existing, key);
      const fields = validateCredential(type, input);
      const fingerprints: Record<string, string> = {};
      for (const [field, value] of Object.entries(fields)) fingerprints[field] = this.#fingerprint(value);
      const now = new Date().toISOString();
      const metadata: RecordMetadata = {
        tenant,
        name,
        type,
        fingerprints,
        keyId: this.#codec.keyId,
        createdAt: existing?.metadata.createdAt ?? now,
        updatedAt: now,
        ...(options.actor !== undefined ? { createdBy: options.actor } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      };
      const value = await this.#codec.seal(key, fields);
      const ifVersion = options.ifVersion ?? mergeOf;
      const { version } = await this.#backendCall(() =>
        this.backend.put(key, { value, metadata }, ifVersion === undefined ? {} : { ifVersion }),
      );
      this.#cache.invalidate(tenant, name);
      this.#emit(action, tenant, name, options.actor ?? UNKNOWN_ACCESSOR, version);
      return this.#info(metadata, version, false);
    } catch (error) {
      throw this.#fail(action, tenant, name, options.actor, error);
    }
  }

  /** The current record, or undefined when there is none or it is deleted. */
  async #existing(key: BackendKey): Promise<BackendRecord | undefined> {
    let record: BackendRecord | undefined;
    try {
      record = await this.#backendCall(() => this.backend.get(key));
    } catch (error) {
      if (DeletedError.isInstance(error)) return undefined;
      throw error;
    }
    if (record && (record.metadata.tenant !== key.tenant || record.metadata.name !== key.name)) {
      throw new ConflictError(`The storage slot for "${key.name}" holds another credential.`);
    }
    return record;
  }

  #checkVersion(key: BackendKey, expected: number, existing: BackendRecord | undefined): void {
    const actual = existing?.version ?? 0;
    if (actual !== expected) {
      throw new ConflictError(
        `Credential "${key.name}" is at version ${actual}, not ${expected}.`,
        expected,
        { source: this.backend.name },
      );
    }
  }

  /** Deletes a credential: recoverably where the backend can, unless `purge`. */
  async deleteCredentials(connectionId: string, userId: string, options: DeleteOptions = {}): Promise<void> {
    const action = options.purge ? "purge" : "delete";
    try {
      const key = this.#key(userId, connectionId);
      await this.#backendCall(() => this.backend.delete(key, { purge: options.purge ?? false }));
      this.#cache.invalidate(userId, connectionId, true);
      if (options.purge) this.#trail.forget(cacheKey(userId, connectionId));
      this.#emit(action, userId, connectionId, options.actor ?? UNKNOWN_ACCESSOR);
    } catch (error) {
      throw this.#fail(action, userId, connectionId, options.actor, error);
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
    options: { actor?: string } = {},
  ): Promise<void> {
    try {
      const key = this.#key(userId, connectionId);
      const restore = this.backend.restore;
      if (!this.backend.capabilities.softDelete || !restore) {
        throw new UnsupportedError("This backend cannot restore deleted credentials.", {
          source: this.backend.name,
        });
      }
      await this.#backendCall(() => restore.call(this.backend, key));
      this.#cache.invalidate(userId, connectionId, true);
      this.#emit("restore", userId, connectionId, options.actor ?? UNKNOWN_ACCESSOR);
    } catch (error) {
      throw this.#fail("restore", userId, connectionId, options.actor, error);
    }
  }

  /**
   * Re-encrypts every record (of one tenant, or all) that is not under the current key, each
   * with a compare-and-set so a concurrent write is never overwritten.
   */
  async rewrap(options: { userId?: string } = {}): Promise<{ rewrapped: number; current: number }> {
    const currentKeyId = this.#codec.keyId;
    let rewrapped = 0;
    let current = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#backendCall(() =>
        this.backend.list({
          ...(options.userId !== undefined ? { tenantSegment: encodeTenant(options.userId) } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        }),
      );
      for (const entry of page.entries) {
        if (await this.#rewrapOne(entry, currentKeyId)) rewrapped++;
        else current++;
      }
      cursor = page.cursor;
    } while (cursor);
    return { rewrapped, current };
  }

  async #rewrapOne(entry: BackendListEntry, currentKeyId: string | null): Promise<boolean> {
    if (entry.deleted || entry.metadata.keyId === currentKeyId) return false;
    const { tenant, name } = entry.metadata;
    const key = this.#key(tenant, name);
    const record = this.#verified(key, await this.#backendCall(() => this.backend.get(key)));
    const fields = await this.#codec.open(key, record.value);
    const value = await this.#codec.seal(key, fields);
    const metadata: RecordMetadata = { ...record.metadata, keyId: currentKeyId };
    const { version } = await this.#backendCall(() =>
      this.backend.put(key, { value, metadata }, { ifVersion: record.version }),
    );
    this.#cache.invalidate(tenant, name);
    this.#emit("rewrap", tenant, name, UNKNOWN_ACCESSOR, version);
    return true;
  }

  /** A view bound to one tenant, for code that serves one tenant. */
  forTenant(tenantId: string): TenantCredentials {
    return new TenantCredentials(this, requireId(tenantId, "tenantId"));
  }

  /** Records the outcome of a connection test in the audit trail. */
  recordTest(userId: string, connectionId: string, accessor: string, success: boolean): void {
    this.#trail.emit({
      time: Date.now(),
      tenant: userId,
      name: connectionId,
      accessor,
      action: "test",
      outcome: success ? "success" : "failure",
    });
  }

  /** Empties the read cache. */
  clearCache(): void {
    this.#cache.clear();
  }

  /** Releases the backend's connections and clients. */
  async close(): Promise<void> {
    this.#cache.clear();
    await this.backend.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- helpers

  #key(tenant: string, name: string): BackendKey {
    return encodeKey(
      requireId(tenant, "userId"),
      requireId(name, "connectionId"),
      this.backend.capabilities.maxKeyLength,
    );
  }

  async #backendCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw asCredkitError(error, this.backend.name);
    }
  }

  #emit(
    action: AuditEvent["action"],
    tenant: string,
    name: string | undefined,
    accessor: string,
    version?: number,
  ): void {
    this.#trail.emit({
      time: Date.now(),
      tenant,
      ...(name !== undefined ? { name } : {}),
      accessor,
      action,
      outcome: "success",
      ...(version !== undefined ? { version } : {}),
    });
  }

  #fail(
    action: AuditEvent["action"],
    tenant: string,
    name: string | undefined,
    accessor: string | undefined,
    error: unknown,
  ): CredkitError {
    const failure = asCredkitError(error, this.backend.name);
    // why: one failure can pass through nested handlers (and a batch failure is shared by every
    // item of the batch); each (tenant, name, action) is recorded exactly once.
    const subject = `${action}\0${tenant}\0${name ?? ""}`;
    const recorded = (auditedFailures.get(failure) ?? new Set<string>()) as Set<string>;
    if (recorded.has(subject)) return failure;
    auditedFailures.set(failure, recorded.add(subject));
    this.#trail.emit({
      time: Date.now(),
      tenant: typeof tenant === "string" ? tenant : "",
      ...(typeof name === "string" ? { name } : {}),
      accessor: accessor ?? UNKNOWN_ACCESSOR,
      action,
      outcome: "failure",
      errorCode: failure.code,
    });
    return failure;
  }
}

/** The `CredentialManager` API bound to one tenant. */
export class TenantCredentials {
  readonly #manager: CredentialManager;
  readonly tenantId: string;

  constructor(manager: CredentialManager, tenantId: string) {
    this.#manager = manager;
    this.tenantId = tenantId;
  }

  store(connectionId: string, credentials: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.storeCredentials(connectionId, this.tenantId, credentials, options);
  }

  get(connectionId: string, options?: GetOptions): Promise<SecretFields> {
    return this.#manager.getCredentials(connectionId, this.tenantId, options);
  }

  getMany(
    requests: ReadonlyArray<{ connectionId: string; version?: number }>,
    options?: Pick<GetOptions, "accessor" | "forceRefresh" | "allowExpired">,
  ): Promise<CredentialResult[]> {
    return this.#manager.getManyCredentials(
      requests.map((request) => ({ ...request, userId: this.tenantId })),
      options,
    );
  }

  describe(connectionId: string): Promise<CredentialInfo> {
    return this.#manager.describeCredentials(connectionId, this.tenantId);
  }

  list(options?: ListOptions): Promise<{ items: CredentialInfo[]; cursor?: string }> {
    return this.#manager.listCredentials(this.tenantId, options);
  }

  rotate(
    connectionId: string,
    credentials: CredentialInput,
    options?: WriteOptions,
  ): Promise<CredentialInfo> {
    return this.#manager.rotateCredentials(connectionId, this.tenantId, credentials, options);
  }

  update(connectionId: string, changes: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.updateCredentials(connectionId, this.tenantId, changes, options);
  }

  delete(connectionId: string, options?: DeleteOptions): Promise<void> {
    return this.#manager.deleteCredentials(connectionId, this.tenantId, options);
  }

  restore(connectionId: string, options?: { actor?: string }): Promise<void> {
    return this.#manager.restoreCredentials(connectionId, this.tenantId, options);
  }

  purge(connectionId: string, options?: { actor?: string }): Promise<void> {
    return this.#manager.purgeCredentials(connectionId, this.tenantId, options);
  }

  /** Records a connection test's outcome in the audit trail. */
  recordTest(connectionId: string, accessor: string, success: boolean): void {
    this.#manager.recordTest(this.tenantId, connectionId, accessor, success);
  }
}
