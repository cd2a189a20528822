/**
 * credkit's own records, kept in the same store as credentials under names no tenant can take.
 *
 * Every name that begins with `~` (`RESERVED_PREFIX`) is reserved: the public `CredentialManager`
 * API refuses such a connection id with a `ValidationError`, and `listCredentials` never shows
 * one. Internal code (the connector service, OAuth) reaches them two ways:
 *
 * - `systemRecords(manager, namespace)`: JSON values per (tenant, id), encrypted like credentials,
 *   with versions and compare-and-set. For records such as connections and their settings.
 * - `ownedCredentials(manager)`: the full credential API (type validation, fingerprints, masked
 *   forms, versions, cache, audit) for connection ids made by `reservedName(namespace, id)`. For
 *   secrets a connection owns rather than references.
 *
 * A namespace is used for one of the two, never both. Nothing here is exported from the package
 * root.
 */
import type { BackendRecord, RecordMetadata } from "./backend.js";
import { versionConflict } from "./backend-support.js";
import { type CredentialManager, managerCore, reservedNamesView } from "./credential-manager.js";
import { ConflictError, IntegrityError, ValidationError } from "./errors.js";
import { checkId, RESERVED_PREFIX } from "./ids.js";
import { type BackendKey, encodeTenantId } from "./key-encoding.js";
import { decodeCursor, encodeCursor, pageLimit } from "./list-paging.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import { openRecord as openBoundRecord } from "./record-binding.js";
import { currentRecord } from "./record-verification.js";
import { putSealed } from "./write-path.js";

/** A namespace: a lower-case letter, then up to 31 lower-case letters, digits or `-`. */
const NAMESPACE = /^[a-z][a-z0-9-]{0,31}$/;
/** Separates the namespace from the id in a reserved name; never part of a namespace. */
const NAMESPACE_END = ":";
/** Largest JSON text of one system record, in bytes of UTF-8 (before encryption). */
export const MAX_SYSTEM_RECORD_BYTES = 32 * 1024;
/** The one sealed field of a system record. */
const VALUE_FIELD = "json";

/** One system record as read back. */
export interface SystemRecord<T> {
  /** The record's id within its namespace and tenant. */
  readonly id: string;
  readonly value: T;
  /** 1 for the first write, +1 for each write after; pass it as `ifVersion` to update safely. */
  readonly version: number;
  /** When the record was first written. */
  readonly createdAt: Date;
  /** When this version was written. */
  readonly updatedAt: Date;
}

/** One listed system record: no value. */
export interface SystemRecordSummary {
  readonly id: string;
  readonly version: number;
  readonly updatedAt: Date;
}

/** Options of `SystemRecordStore.put`. */
export interface SystemPutOptions {
  /**
   * Write only if the record is at this version (0: only if it does not exist); otherwise
   * `ConflictError`. Atomic where the backend's `compareAndSet` is `atomic`.
   */
  ifVersion?: number | undefined;
}

/** Options of `SystemRecordStore.list`. */
export interface SystemListOptions {
  /** Most records per page: a whole number from 1 to 1000. @default 100 */
  limit?: number | undefined;
  /** The `cursor` of the previous page of the same listing. */
  cursor?: string | undefined;
}

/** A namespace of JSON records per tenant, stored encrypted beside the tenant's credentials. */
export interface SystemRecordStore<T> {
  readonly namespace: string;
  /** The record, or undefined when there is none (or it is deleted). `IntegrityError` on tampering. */
  get(tenantId: string, id: string): Promise<SystemRecord<T> | undefined>;
  /** Writes a new version; `ConflictError` when `ifVersion` does not match. */
  put(tenantId: string, id: string, value: T, options?: SystemPutOptions): Promise<{ version: number }>;
  /** Deletes the record (recoverably where the store can). `NotFoundError` when there is none. */
  delete(tenantId: string, id: string): Promise<void>;
  /** Removes the record and every version for good. `NotFoundError` when there is none. */
  purge(tenantId: string, id: string): Promise<void>;
  /** A page of the tenant's records in this namespace, in the paging model of `listCredentials`. */
  list(
    tenantId: string,
    options?: SystemListOptions,
  ): Promise<{ items: SystemRecordSummary[]; cursor?: string }>;
}

function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) {
    throw new ValidationError(
      "namespace must be a lower-case letter and up to 31 of [a-z0-9-].",
      "namespace",
    );
  }
  return namespace;
}

/**
 * The reserved connection id of `id` in `namespace`: `~namespace:id`. `ValidationError` when the
 * namespace is malformed or the whole name is over the id bound (256 bytes).
 */
export function reservedName(namespace: string, id: string): string {
  checkId(id, "id");
  return checkId(`${RESERVED_PREFIX}${checkNamespace(namespace)}${NAMESPACE_END}${id}`, "id");
}

/** What every reserved name in `namespace` begins with: `~namespace:`. */
export function namespacePrefix(namespace: string): string {
  return `${RESERVED_PREFIX}${checkNamespace(namespace)}${NAMESPACE_END}`;
}

/** The (namespace, id) of a reserved name, or undefined when `connectionId` is not one. */
export function parseReservedName(connectionId: string): { namespace: string; id: string } | undefined {
  if (!connectionId.startsWith(RESERVED_PREFIX)) return undefined;
  const end = connectionId.indexOf(NAMESPACE_END);
  const namespace = connectionId.slice(RESERVED_PREFIX.length, end);
  if (end < 0 || !NAMESPACE.test(namespace)) return undefined;
  return { namespace, id: connectionId.slice(end + 1) };
}

/**
 * The credential API of `manager` for reserved connection ids (`reservedName(namespace, id)`),
 * sharing its backend, keys, cache and audit. Ordinary connection ids work too, so one
 * `getManyCredentials` can read a tenant's credentials and owned ones in one batch.
 */
export function ownedCredentials(manager: CredentialManager): CredentialManager {
  return reservedNamesView(manager);
}

/** The JSON records of `namespace`, stored through `manager`'s backend and keys. */
export function systemRecords<T>(manager: CredentialManager, namespace: string): SystemRecordStore<T> {
  const core = managerCore(manager);
  const prefix = namespacePrefix(namespace);
  const keyOf = (tenantId: string, id: string) =>
    core.key(checkId(tenantId, "tenantId"), reservedName(namespace, id));
  return {
    namespace,
    get: async (tenantId, id) => {
      const key = keyOf(tenantId, id);
      const record = await currentRecord(core, key);
      return record ? openRecord<T>(core, record, id) : undefined;
    },
    put: (tenantId, id, value, options = {}) => putRecord(core, keyOf(tenantId, id), value, options),
    delete: (tenantId, id) => removeRecord(core, keyOf(tenantId, id), false),
    purge: (tenantId, id) => removeRecord(core, keyOf(tenantId, id), true),
    list: (tenantId, options = {}) => listRecords(core, prefix, checkId(tenantId, "tenantId"), options),
  };
}

async function openRecord<T>(core: ManagerCore, record: BackendRecord, id: string): Promise<SystemRecord<T>> {
  const { tenant: tenantId, name: connectionId } = record.metadata;
  const fields = await openBoundRecord(core, core.key(tenantId, connectionId), record);
  const text = fields[VALUE_FIELD];
  if (text === undefined) throw new IntegrityError(`Record "${id}" is not a system record.`);
  return {
    id,
    value: JSON.parse(text) as T,
    version: record.version,
    createdAt: new Date(record.metadata.createdAt),
    updatedAt: new Date(record.metadata.updatedAt),
  };
}

function recordText(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new ValidationError("value must be JSON-serialisable.", "value");
  if (Buffer.byteLength(text, "utf8") > MAX_SYSTEM_RECORD_BYTES) {
    throw new ValidationError(`value is larger than ${MAX_SYSTEM_RECORD_BYTES} bytes as JSON.`, "value");
  }
  return text;
}

async function putRecord(
  core: ManagerCore,
  key: BackendKey,
  value: unknown,
  options: SystemPutOptions,
): Promise<{ version: number }> {
  try {
    const text = recordText(value);
    for (let attempt = 1; ; attempt++) {
      const existing = await currentRecord(core, key);
      const current = existing?.version ?? 0;
      if (options.ifVersion !== undefined && options.ifVersion !== current) {
        throw versionConflict(core.backend.name, key, options.ifVersion, current);
      }
      const now = new Date().toISOString();
      const metadata: RecordMetadata = {
        tenant: key.tenantId,
        name: key.connectionId,
        type: "custom",
        fingerprints: {},
        keyId: core.codec.keyId,
        createdAt: existing?.metadata.createdAt ?? now,
        updatedAt: now,
      };
      try {
        const { version } = await putSealed(core, key, current, {
          metadata,
          fields: { [VALUE_FIELD]: text },
        });
        core.cache.invalidate(key.tenantId, key.connectionId);
        core.emit("write", key.tenantId, key.connectionId, UNKNOWN_ACCESSOR, version);
        return { version };
      } catch (error) {
        // why: an unconditional put that lost a race to another writer tries again on the new version.
        const retry = options.ifVersion === undefined && ConflictError.isInstance(error) && attempt < 20;
        if (!retry) throw error;
      }
    }
  } catch (error) {
    throw core.fail("write", key.tenantId, key.connectionId, undefined, error);
  }
}

async function removeRecord(core: ManagerCore, key: BackendKey, purge: boolean): Promise<void> {
  const action = purge ? "purge" : "delete";
  try {
    await core.call(() => core.backend.delete(key, { purge }));
    core.cache.invalidate(key.tenantId, key.connectionId, true);
    core.emit(action, key.tenantId, key.connectionId, UNKNOWN_ACCESSOR);
  } catch (error) {
    throw core.fail(action, key.tenantId, key.connectionId, undefined, error);
  }
}

async function listRecords(
  core: ManagerCore,
  prefix: string,
  tenantId: string,
  options: SystemListOptions,
): Promise<{ items: SystemRecordSummary[]; cursor?: string }> {
  const scope = `system\0${prefix}\0${tenantId}`;
  const limit = pageLimit(options.limit);
  const cursor = decodeCursor(scope, options.cursor);
  const page = await core.call(() =>
    core.backend.list({
      tenantSegment: encodeTenantId(tenantId),
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    }),
  );
  const items = page.entries
    .filter((entry) => entry.metadata.tenant === tenantId && entry.metadata.name.startsWith(prefix))
    .map((entry) => ({
      id: entry.metadata.name.slice(prefix.length),
      version: entry.version,
      updatedAt: new Date(entry.metadata.updatedAt),
    }));
  return page.cursor ? { items, cursor: encodeCursor(scope, page.cursor) } : { items };
}
