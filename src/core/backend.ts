/**
 * The backend contract. A backend stores opaque records (a payload string plus non-secret
 * metadata) under keys the core hands it, and declares what it can do. It never sees plaintext
 * when application encryption is on, and knows nothing about tenants beyond the key.
 */
import type { CredentialType } from "./credential-types.js";
import type { BackendKey } from "./key-encoding.js";
import type { KeyProvider } from "./keyring.js";

/** What a backend can do. The core and the contract suite gate behaviour on these. */
export interface BackendCapabilities {
  /** Old versions can be read by number. */
  readonly versions: boolean;
  /**
   * How `ifVersion` is honoured: `atomic` (a conflicting writer always loses) or `best-effort`
   * (checked before writing, but a concurrent writer can slip in: eventually consistent stores,
   * whose reads may also lag writes).
   */
  readonly compareAndSet: "atomic" | "best-effort";
  /** Deletes are recoverable (`restore`), and `purge` removes for good. */
  readonly softDelete: boolean;
  /** Longest `BackendKey.id` the store accepts (after the backend's own prefix). */
  readonly maxKeyLength: number;
  /**
   * Records are set outside credkit (e.g. environment variables): `put`, `delete` and `restore`
   * throw `UnsupportedError` saying how to change a record instead.
   */
  readonly readOnly?: boolean | undefined;
  /**
   * The backend implements `rewriteVersion` and honours `includeDeleted` on `get`, so `rewrap()`
   * can move every version, soft-deleted records included, to the current key and format.
   * Absent or false: rewrap moves only the latest live version (by writing a new one) and
   * reports the rest as not moved.
   */
  readonly inPlaceRewrite?: boolean | undefined;
}

/** Non-secret facts stored beside the payload. JSON-serialisable. */
export interface RecordMetadata {
  /**
   * The tenant id, verified on read so a key collision is never served. Named `tenant` (not
   * `tenantId`) because this is the field name in the stored metadata of every existing record.
   */
  readonly tenant: string;
  /**
   * The connection id (the credential's name), verified on read. Named `name` (not
   * `connectionId`) because this is the field name in the stored metadata of every existing record.
   */
  readonly name: string;
  readonly type: CredentialType;
  /** Field name → 8-hex fingerprint of its value. */
  readonly fingerprints: Readonly<Record<string, string>>;
  /**
   * Field name → the masked form of its value (e.g. `***wxyz`), computed at write time so masked
   * views need no decryption. Absent on records written before it existed.
   */
  readonly masked?: Readonly<Record<string, string>> | undefined;
  /** Key the payload is encrypted with; null when application encryption is off. */
  readonly keyId: string | null;
  /** ISO time the credential was first stored. */
  readonly createdAt: string;
  /** ISO time this version was written. */
  readonly updatedAt: string;
  /** Who wrote this version, when the caller said. */
  readonly createdBy?: string | undefined;
  /** ISO time after which the credential reports `expired`. */
  readonly expiresAt?: string | undefined;
}

/** What the core writes. */
export interface BackendWrite {
  /** Opaque payload: ciphertext when encryption is on. */
  readonly value: string;
  readonly metadata: RecordMetadata;
}

/** What a backend returns for a read. */
export interface BackendRecord extends BackendWrite {
  /** Version number: 1 for the first write, +1 for every write after. */
  readonly version: number;
}

export interface BackendGetOptions {
  /** Read this version instead of the latest. */
  readonly version?: number | undefined;
  /**
   * Return a soft-deleted record instead of throwing `DeletedError` (rewrap and key checks walk
   * deleted records). Only backends that declare `capabilities.inPlaceRewrite` must honour it.
   */
  readonly includeDeleted?: boolean | undefined;
}

export interface BackendRewriteOptions {
  /**
   * Rewrite only if the version's stored payload is still exactly this (compare-and-set);
   * otherwise throw `ConflictError`.
   */
  readonly ifValue: string;
}

export interface BackendPutOptions {
  /**
   * Write only if the current version is exactly this; 0 means "only if it does not exist".
   * Omitted: write unconditionally. A mismatch throws `ConflictError`.
   */
  readonly ifVersion?: number | undefined;
}

export interface BackendDeleteOptions {
  /** Remove for good, every version, even where deletes are normally recoverable. */
  readonly purge?: boolean | undefined;
}

export interface BackendListOptions {
  /** Only this tenant's records (its `BackendKey.tenantSegment`); omitted lists every tenant. */
  readonly tenantSegment?: string | undefined;
  /** Continue from a previous page. */
  readonly cursor?: string | undefined;
  /** Page size hint. */
  readonly limit?: number | undefined;
  /** Also return soft-deleted records. */
  readonly includeDeleted?: boolean | undefined;
}

/** One listed record: metadata only, never the payload. */
export interface BackendListEntry {
  readonly metadata: RecordMetadata;
  readonly version: number;
  readonly deleted: boolean;
}

export interface BackendListPage {
  readonly entries: readonly BackendListEntry[];
  /** Present when there are more pages. */
  readonly cursor?: string | undefined;
}

/**
 * A secret store. Failures are typed credkit errors: `undefined` from `get` means confirmed
 * absence, never a failure; a soft-deleted record (or a deleted, disabled or destroyed version)
 * throws `DeletedError`.
 */
export interface Backend {
  /** The backend's registry name, e.g. `file` or `vault`. */
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  get(key: BackendKey, options?: BackendGetOptions): Promise<BackendRecord | undefined>;
  /** Reads several latest records; each slot is a record, `undefined` (absent) or the error. */
  getMany?(keys: readonly BackendKey[]): Promise<Array<BackendRecord | undefined | Error>>;
  /** Writes a new version and returns its number. */
  put(key: BackendKey, write: BackendWrite, options?: BackendPutOptions): Promise<{ version: number }>;
  /** Deletes (soft where `capabilities.softDelete`, unless `purge`). Throws `NotFoundError` if absent. */
  delete(key: BackendKey, options?: BackendDeleteOptions): Promise<void>;
  /**
   * Replaces the payload and metadata of one existing version in place (re-encryption by
   * `rewrap()`), live or soft-deleted: no new version, the latest version and the deleted state
   * unchanged. Throws `NotFoundError` when that version does not exist (never recreates a purged
   * or pruned one) and `ConflictError` when its payload is no longer `options.ifValue`. Optional;
   * declare `capabilities.inPlaceRewrite` when implemented.
   */
  rewriteVersion?(
    key: BackendKey,
    version: number,
    write: BackendWrite,
    options: BackendRewriteOptions,
  ): Promise<void>;
  /** Undoes a soft delete; a no-op on a live record. Throws `NotFoundError` if there is none. */
  restore?(key: BackendKey): Promise<void>;
  list(options?: BackendListOptions): Promise<BackendListPage>;
  /**
   * Start-up checks that need no request to a remote service: local files, their owner and
   * permissions, configuration. `createCredentialManager` calls it at creation so a bad set-up is
   * a typed `ConfigurationError` there, not a failure at the first write. Idempotent.
   */
  open?(): Promise<void>;
  /**
   * A key for development when no key is configured, used by `createCredentialManager` outside
   * production only: ephemeral for memory, a 0600 key file beside the data for the file store.
   * Absent: a key is required.
   */
  developmentKey?(): Promise<KeyProvider>;
  /** Releases connections, timers and clients. */
  close?(): Promise<void>;
}
