/**
 * The version history of one credential: each version's metadata (never a value), read without
 * decrypting anything. A version the backend reports as deleted, disabled or destroyed is listed
 * with that state; one that no longer exists (pruned) is left out.
 */

import { credentialInfo } from "./credential-info.js";
import { type CredentialManager, managerCore } from "./credential-manager.js";
import { DeletedError, type DeletedState } from "./errors.js";
import { checkId, checkPublicName } from "./ids.js";
import type { CredentialInfo } from "./manager-options.js";
import { verifiedRecord } from "./record-verification.js";

/** One version of a credential: its info, or the state it is in when it cannot be read. */
export type VersionEntry =
  | { readonly version: number; readonly state: "available"; readonly info: CredentialInfo }
  | { readonly version: number; readonly state: DeletedState };

/** Every version of a credential, oldest first. `NotFoundError`/`DeletedError` as `describe`. */
export async function credentialVersions(
  manager: CredentialManager,
  tenantId: string,
  connectionId: string,
): Promise<VersionEntry[]> {
  const core = managerCore(manager);
  const key = core.key(checkId(tenantId, "tenantId"), checkPublicName(connectionId));
  const latest = verifiedRecord(core, key, await core.call(() => core.backend.get(key)));
  if (!core.backend.capabilities.versions) {
    return [{ version: latest.version, state: "available", info: infoOf(latest) }];
  }
  const entries: VersionEntry[] = [];
  for (let version = 1; version <= latest.version; version++) {
    try {
      const record = await core.call(() => core.backend.get(key, { version }));
      if (record)
        entries.push({
          version,
          state: "available",
          info: infoOf(verifiedRecord(core, key, record, version)),
        });
    } catch (error) {
      if (!DeletedError.isInstance(error)) throw error;
      entries.push({ version, state: error.state });
    }
  }
  return entries;

  function infoOf(record: { metadata: Parameters<typeof credentialInfo>[1]; version: number }) {
    return credentialInfo(core, record.metadata, record.version, false);
  }
}
