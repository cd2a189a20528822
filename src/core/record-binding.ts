/**
 * What a stored record's ciphertext is bound to: its tenant and name, the version number it is
 * stored as, and the security-relevant metadata (type, createdAt, expiresAt, key id). Sealing
 * binds these; opening checks them against the record as read, so a version copied over another,
 * an edited or removed expiry or a changed type fails as `IntegrityError`.
 */
import type { BackendRecord, RecordMetadata } from "./backend.js";
import type { StoredBinding } from "./envelope.js";
import type { BackendKey } from "./key-encoding.js";
import type { ManagerCore } from "./manager-core.js";

/** The binding of `metadata` stored as `version` under `key`. */
export function bindingOf(key: BackendKey, version: number, metadata: RecordMetadata): StoredBinding {
  return {
    tenantId: key.tenantId,
    connectionId: key.connectionId,
    version,
    type: metadata.type,
    createdAt: metadata.createdAt,
    expiresAt: metadata.expiresAt,
    keyId: metadata.keyId,
  };
}

/** Opens a record read from `key`, verifying its payload against its version and metadata. */
export function openRecord(
  core: ManagerCore,
  key: BackendKey,
  record: Pick<BackendRecord, "value" | "version" | "metadata">,
): Promise<Record<string, string>> {
  return core.codec.open(bindingOf(key, record.version, record.metadata), record.value);
}

/**
 * Seals `fields` to be stored as `version` with `metadata` (whose `keyId` is replaced by the key
 * actually used): the record to hand to the backend.
 */
export async function sealRecord(
  core: ManagerCore,
  key: BackendKey,
  version: number,
  metadata: RecordMetadata,
  fields: Readonly<Record<string, string>>,
): Promise<{ value: string; metadata: RecordMetadata }> {
  const value = await core.codec.seal(
    {
      tenantId: key.tenantId,
      connectionId: key.connectionId,
      version,
      type: metadata.type,
      createdAt: metadata.createdAt,
      expiresAt: metadata.expiresAt,
    },
    fields,
  );
  return { value, metadata: { ...metadata, keyId: core.codec.keyIdOf(value) } };
}
