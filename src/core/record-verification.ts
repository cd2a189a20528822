/**
 * Records read back from a backend are checked to belong to the (tenant, name) asked for, so a
 * key collision is never served, then decrypted into the frozen entry the cache keeps.
 */
import type { BackendRecord, RecordMetadata } from "./backend.js";
import type { CachedCredential } from "./cache.js";
import { ConflictError, DeletedError, IntegrityError, NotFoundError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";
import type { ManagerCore } from "./manager-core.js";
import { openRecord } from "./record-binding.js";
import { Secret } from "./secret.js";

/**
 * The record, checked to be well-formed and to belong to (tenant, name). A record whose stored
 * tenant or name is another one's, or whose metadata is malformed, was tampered with (the key
 * encoding is injective): `IntegrityError`.
 */
export function verifiedRecord(
  core: ManagerCore,
  key: BackendKey,
  record: BackendRecord | undefined,
  version?: number,
): BackendRecord {
  if (!record) {
    const which = version === undefined ? "" : ` version ${version}`;
    throw new NotFoundError(`No credential "${key.connectionId}"${which} for this tenant.`, {
      source: core.backend.name,
    });
  }
  if (
    !wellFormed(record) ||
    record.metadata.tenant !== key.tenantId ||
    record.metadata.name !== key.connectionId ||
    (version !== undefined && record.version !== version)
  ) {
    throw new IntegrityError(
      `The record stored for "${key.connectionId}" is malformed or belongs to another credential.`,
      {
        source: core.backend.name,
      },
    );
  }
  return record;
}

/** The shape the core relies on: a string payload, a positive version, metadata with string ids. */
function wellFormed(record: BackendRecord): boolean {
  const metadata = record.metadata as Partial<RecordMetadata> | null | undefined;
  return (
    typeof record.value === "string" &&
    Number.isSafeInteger(record.version) &&
    record.version > 0 &&
    typeof metadata === "object" &&
    metadata !== null &&
    typeof metadata.tenant === "string" &&
    typeof metadata.name === "string" &&
    typeof metadata.type === "string" &&
    typeof metadata.createdAt === "string" &&
    (metadata.expiresAt === undefined || typeof metadata.expiresAt === "string") &&
    (metadata.keyId === null || typeof metadata.keyId === "string")
  );
}

/** The verified record decrypted into a frozen cache entry. */
export async function decryptRecord(
  core: ManagerCore,
  key: BackendKey,
  record: BackendRecord | undefined,
  version?: number,
): Promise<CachedCredential> {
  const found = verifiedRecord(core, key, record, version);
  const plain = await openRecord(core, key, found);
  const fields: Record<string, Secret> = {};
  for (const field in plain) fields[field] = new Secret(plain[field] as string);
  return Object.freeze({
    fields: Object.freeze(fields),
    version: found.version,
    metadata: found.metadata,
    expiresAt: found.metadata.expiresAt ? Date.parse(found.metadata.expiresAt) : undefined,
    fetchedAt: Date.now(),
  });
}

/**
 * The current record before a write, or undefined when there is none or it is deleted. A slot
 * holding another (tenant, name) is a `ConflictError`: the write would overwrite it.
 */
export async function currentRecord(core: ManagerCore, key: BackendKey): Promise<BackendRecord | undefined> {
  let record: BackendRecord | undefined;
  try {
    record = await core.call(() => core.backend.get(key));
  } catch (error) {
    if (DeletedError.isInstance(error)) return undefined;
    throw error;
  }
  if (record && (record.metadata.tenant !== key.tenantId || record.metadata.name !== key.connectionId)) {
    throw new ConflictError(`The storage slot for "${key.connectionId}" holds another credential.`);
  }
  return record;
}

/** The "no such credential" error of operations that need an existing one. */
export function missingCredential(core: ManagerCore, key: BackendKey): NotFoundError {
  return new NotFoundError(`No credential "${key.connectionId}" for this tenant.`, {
    source: core.backend.name,
  });
}
