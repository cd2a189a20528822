/**
 * The public option and result shapes of `CredentialManager`.
 */
import type { AuditSink } from "./audit.js";
import type { Backend } from "./backend.js";
import type { CacheOptions } from "./cache.js";
import type { CredentialType } from "./credential-types.js";
import type { CredkitError } from "./errors.js";
import type { KeyProvider } from "./keyring.js";
import type { SecretFields } from "./secret.js";

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
  cache?: CacheOptions | false | undefined;
  /** Audit settings. */
  audit?: AuditOptions | undefined;
}

/** Where audit events go. */
export interface AuditOptions {
  /**
   * Extra sinks besides the in-memory ring: `loggerSink(pino())`, `jsonLinesSink(path)` or any
   * callback.
   */
  sinks?: AuditSink[] | undefined;
  /**
   * Events kept in the in-memory ring (`manager.audit.events()`): a whole number from 1 to
   * 1,000,000, else `ConfigurationError`.
   * @default 1000
   */
  ringSize?: number | undefined;
}

/** Options of `storeCredentials`, `rotateCredentials` and `updateCredentials`. */
export interface WriteOptions {
  /**
   * The credential type, which decides the fields required.
   * @default "custom" for a new credential; the stored type on rotate and update
   */
  type?: CredentialType | undefined;
  /** When the credential stops being valid; reads after it throw `ExpiredError`. */
  expiresAt?: Date | string | undefined;
  /** Write only if the current version is this (0: only if it does not exist). */
  ifVersion?: number | undefined;
  /** Who writes, recorded as `createdBy` and in the audit event. */
  actor?: string | undefined;
  /** The request or job this write belongs to, recorded in the audit event (at most 256 bytes). */
  correlationId?: string | undefined;
}

/** Who asks and on behalf of which request, for the audit event of a describe or restore. */
export interface AuditContext {
  /** Who acts, e.g. `connector_42` or `api-key:acme`. */
  accessor?: string | undefined;
  /** The request or job this operation belongs to (at most 256 bytes). */
  correlationId?: string | undefined;
}

/** Options of `getCredentials`. */
export interface GetOptions {
  /** Who reads, e.g. `connector_42`. Recorded in the audit event. */
  accessor?: string | undefined;
  /** Read this version instead of the latest. */
  version?: number | undefined;
  /** Skip the cache and read from the backend. */
  forceRefresh?: boolean | undefined;
  /** Return an expired credential instead of throwing `ExpiredError`. */
  allowExpired?: boolean | undefined;
  /** The request or job this read belongs to, recorded in the audit event (at most 256 bytes). */
  correlationId?: string | undefined;
}

/** Options of `deleteCredentials`. */
export interface DeleteOptions {
  /** Remove for good, even where deletes are recoverable. */
  purge?: boolean | undefined;
  /** Who deletes, for the audit event. */
  actor?: string | undefined;
  /** The request or job this delete belongs to, recorded in the audit event (at most 256 bytes). */
  correlationId?: string | undefined;
}

/** Options of `listCredentials`. */
export interface ListOptions {
  /** The `cursor` of the previous page, to continue from it. */
  cursor?: string | undefined;
  /** Page size hint. */
  limit?: number | undefined;
  /** Include soft-deleted credentials (status `deleted`). */
  includeDeleted?: boolean | undefined;
  /** Who lists, for the audit event. */
  accessor?: string | undefined;
  /** The request or job this listing belongs to, recorded in the audit event (at most 256 bytes). */
  correlationId?: string | undefined;
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
  /**
   * Field name → masked form of its value (a few characters, e.g. `***wxyz`), kept at write time
   * so masked views read no secret. Absent for records written before masked forms were kept.
   */
  readonly masked?: Readonly<Record<string, string>> | undefined;
  readonly keyId: string | null;
  readonly status: CredentialStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly createdBy?: string | undefined;
  readonly expiresAt?: Date | undefined;
  /** Successful reads seen by this process. */
  readonly accessCount: number;
  readonly lastAccessAt?: Date | undefined;
}

/** One request of `getManyCredentials`. */
export interface CredentialRequest {
  readonly connectionId: string;
  readonly userId: string;
  readonly version?: number | undefined;
}

/** One result of `getManyCredentials`: the fields, or the typed error for that item alone. */
export type CredentialResult =
  | { readonly ok: true; readonly credentials: SecretFields; readonly version: number }
  | { readonly ok: false; readonly error: CredkitError };

/** The options a batch read takes for all of its items. */
export type BatchReadOptions = Pick<
  GetOptions,
  "accessor" | "forceRefresh" | "allowExpired" | "correlationId"
>;
