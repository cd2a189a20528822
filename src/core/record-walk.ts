/**
 * The walk `rewrap()` and `verifyKeys()` share: every credential (of one tenant, or all), soft-
 * deleted ones included, page by page, with a checkpoint to resume from, and every version of
 * each.
 */
import type { BackendListEntry, BackendRecord } from "./backend.js";
import { ValidationError } from "./errors.js";
import { type BackendKey, encodeTenantId } from "./key-encoding.js";
import type { ManagerCore } from "./manager-core.js";

/** Options every walk takes. */
export interface WalkOptions {
  /** Only this tenant's credentials. */
  userId?: string | undefined;
  /** A `checkpoint` a previous walk reported: continue from there instead of the start. */
  from?: string | undefined;
}

/** One version the walk could not handle, by ids only. */
export interface VersionFailure {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly version: number;
  /** The credential is soft-deleted. */
  readonly deleted: boolean;
  /** Key id the stored payload names (null: unencrypted or unknown). */
  readonly keyId: string | null;
  /** Error code of the failure (`integrity`, `unsupported`, `conflict`, `unavailable`, …). */
  readonly reason: string;
  /**
   * For a store that cannot rewrite a version in place: the new version the value was copied to
   * under the current key. This version itself still names `keyId` (a pinned read of it needs
   * that key).
   */
  readonly copiedTo?: number | undefined;
}

/** A credential the walk visits. */
export interface WalkedCredential {
  readonly key: BackendKey;
  readonly entry: BackendListEntry;
  /** Resumes the walk at the page holding this credential (work on it is repeated, harmlessly). */
  readonly checkpoint: string;
}

const CHECKPOINT_PREFIX = "walk1:";

function checkpointOf(cursor: string | undefined): string {
  return `${CHECKPOINT_PREFIX}${cursor ?? ""}`;
}

function cursorOf(checkpoint: string | undefined): string | undefined {
  if (checkpoint === undefined) return undefined;
  if (typeof checkpoint !== "string" || !checkpoint.startsWith(CHECKPOINT_PREFIX)) {
    throw new ValidationError("from must be a checkpoint reported by an earlier walk.", "from");
  }
  const cursor = checkpoint.slice(CHECKPOINT_PREFIX.length);
  return cursor === "" ? undefined : cursor;
}

/** Every credential, deleted ones included, from `options.from` on. */
export async function* walkCredentials(
  core: ManagerCore,
  options: WalkOptions,
): AsyncGenerator<WalkedCredential> {
  let cursor = cursorOf(options.from);
  const tenantSegment = options.userId !== undefined ? encodeTenantId(options.userId) : undefined;
  do {
    const pageCursor = cursor;
    const page = await core.call(() =>
      core.backend.list({
        includeDeleted: true,
        ...(tenantSegment !== undefined ? { tenantSegment } : {}),
        ...(pageCursor !== undefined ? { cursor: pageCursor } : {}),
      }),
    );
    for (const entry of page.entries) {
      const { tenant: tenantId, name: connectionId } = entry.metadata;
      if (options.userId !== undefined && tenantId !== options.userId) continue;
      yield { key: core.key(tenantId, connectionId), entry, checkpoint: checkpointOf(pageCursor) };
    }
    cursor = page.cursor;
  } while (cursor);
}

/** The version numbers a credential may hold: all up to the latest where the backend keeps versions. */
export function versionsOf(core: ManagerCore, entry: BackendListEntry): number[] {
  if (!core.backend.capabilities.versions) return [entry.version];
  return Array.from({ length: entry.version }, (_, index) => index + 1);
}

/** Whether the backend can read and rewrite any version in place, deleted records included. */
export function canRewriteInPlace(core: ManagerCore): boolean {
  return (
    core.backend.capabilities.inPlaceRewrite === true && typeof core.backend.rewriteVersion === "function"
  );
}

/**
 * One version of a walked credential; undefined when it no longer exists (pruned or purged). A
 * record stored under the key for another (tenant, name) reads as absent.
 */
export async function readWalkedVersion(
  core: ManagerCore,
  walked: WalkedCredential,
  version: number,
): Promise<BackendRecord | undefined> {
  const { key, entry } = walked;
  const readDeleted = entry.deleted && canRewriteInPlace(core);
  const record = await core.call(() =>
    core.backend.get(key, { version, ...(readDeleted ? { includeDeleted: true } : {}) }),
  );
  if (!record || record.metadata.tenant !== key.tenantId || record.metadata.name !== key.connectionId)
    return undefined;
  return record;
}

/** A failure record for one version. */
export function versionFailure(
  walked: WalkedCredential,
  version: number,
  keyId: string | null,
  reason: string,
  copiedTo?: number,
): VersionFailure {
  return {
    tenantId: walked.key.tenantId,
    connectionId: walked.key.connectionId,
    version,
    deleted: walked.entry.deleted,
    keyId,
    reason,
    ...(copiedTo !== undefined ? { copiedTo } : {}),
  };
}

/** The key id a stored payload names, or null when it cannot be parsed. */
export function payloadKeyId(core: ManagerCore, value: string): string | null {
  try {
    return core.codec.keyIdOf(value);
  } catch {
    return null;
  }
}
