/**
 * `CredentialInfo`: what a caller may see of a credential without its values.
 */
import type { RecordMetadata } from "./backend.js";
import { cacheKey } from "./cache.js";
import type { ManagerCore } from "./manager-core.js";
import type { CredentialInfo, CredentialStatus } from "./manager-options.js";

/** The info of a stored version, with this process's access statistics. */
export function credentialInfo(
  core: ManagerCore,
  metadata: RecordMetadata,
  version: number,
  deleted: boolean,
): CredentialInfo {
  const stats = core.trail.stats(cacheKey(metadata.tenant, metadata.name));
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
    ...(metadata.masked !== undefined ? { masked: metadata.masked } : {}),
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
