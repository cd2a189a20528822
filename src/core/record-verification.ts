/**
 * Records read back from a backend are checked to belong to the (tenant, name) asked for, so a
 * key collision is never served, then decrypted into the frozen entry the cache keeps.
 */
import type { BackendRecord } from "./backend.js";
import type { CachedCredential } from "./cache.js";
import { ConflictError, DeletedError, NotFoundError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";
import type { ManagerCore } from "./manager-core.js";
import { openRecord } from "./record-binding.js";
import { Secret } from "./secret.js";

/** The record, checked to belong to (tenant, name): a key collision reads as absent. */
export function verifiedRecord(
  core: ManagerCore,
  key: BackendKey,
  record: BackendRecord | undefined,
  version?: number,
): BackendRecord {
  if (!record || record.metadata.tenant !== key.tenant || record.metadata.name !== key.name) {
    const which = version === undefined ? "" : ` version ${version}`;
    throw new NotFoundError(`No credential "${key.name}"${which} for this tenant.`, {
      source: core.backend.name,
    });
  }
  return record;
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
  for (const [field, value] of Object.entries(plain)) fields[field] = new Secret(value);
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
  if (record && (record.metadata.tenant !== key.tenant || record.metadata.name !== key.name)) {
    throw new ConflictError(`The storage slot for "${key.name}" holds another credential.`);
  }
  return record;
}

/** The "no such credential" error of operations that need an existing one. */
export function missingCredential(core: ManagerCore, key: BackendKey): NotFoundError {
  return new NotFoundError(`No credential "${key.name}" for this tenant.`, {
    source: core.backend.name,
  });
}
