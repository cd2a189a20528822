/**
 * `rewrap()`: moves every version of every credential — soft-deleted ones included — to the
 * current key and envelope format, or reports exactly which versions it could not move (their
 * keys must then stay in the keyring). Resumable from a checkpoint, with progress after each
 * credential.
 *
 * Where the backend can rewrite versions in place (`capabilities.inPlaceRewrite`), each version is
 * re-sealed for its own number and rewritten with a compare-and-set on its old payload. Elsewhere
 * the latest live version is copied to a new version (compare-and-set on the version read), and
 * every version left under an older key is reported in `notMoved`: older versions and deleted
 * credentials (`unsupported`), and, on a store that keeps versions, the copied one itself (with
 * `copiedTo`, since a pinned read of it still needs its key).
 */
import type { BackendRecord } from "./backend.js";
import { CredkitError } from "./errors.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import { openRecord, sealRecord } from "./record-binding.js";
import {
  canRewriteInPlace,
  payloadKeyId,
  readWalkedVersion,
  type VersionFailure,
  versionFailure,
  versionsOf,
  type WalkedCredential,
  type WalkOptions,
  walkCredentials,
} from "./record-walk.js";
import { derivedMetadata, putSealed } from "./write-path.js";

/** Options of `rewrap()`. */
export interface RewrapOptions extends WalkOptions {
  /** Called after each credential with the running totals and a checkpoint to resume from. */
  onProgress?: ((progress: RewrapProgress) => void) | undefined;
  /** Stops after the credential in progress; the result's `checkpoint` continues from there. */
  signal?: AbortSignal | undefined;
}

/** What a rewrap did. */
export interface RewrapResult {
  /** Credentials visited. */
  credentials: number;
  /** Versions re-encrypted under the current key in the current format. */
  rewrapped: number;
  /** Versions that already were. */
  current: number;
  /** Versions that could not be moved, by ids: the keys they name must stay in the keyring. */
  notMoved: VersionFailure[];
  /** Present when the walk stopped early (`signal`): pass it as `from` to continue. */
  checkpoint?: string | undefined;
}

/** Running totals, reported after each credential. */
export interface RewrapProgress extends RewrapResult {
  /** Resumes at the page holding the credential just done. */
  checkpoint: string;
}

type Outcome = "rewrapped" | "current" | "gone";

/** Rewraps every credential of the walk; see the module comment. */
export async function rewrapRecords(core: ManagerCore, options: RewrapOptions): Promise<RewrapResult> {
  const result: RewrapResult = { credentials: 0, rewrapped: 0, current: 0, notMoved: [] };
  for await (const walked of walkCredentials(core, options)) {
    if (options.signal?.aborted) return { ...result, checkpoint: walked.checkpoint };
    result.credentials++;
    let moved = 0;
    for (const version of versionsOf(core, walked.entry)) {
      const outcome = await rewrapVersion(core, walked, version);
      if (typeof outcome === "object" && "copiedTo" in outcome) {
        result.rewrapped++;
        moved++;
        if (core.backend.capabilities.versions) result.notMoved.push(outcome);
      } else if (typeof outcome === "object") result.notMoved.push(outcome);
      else if (outcome !== "gone") result[outcome]++;
      if (outcome === "rewrapped") moved++;
    }
    if (moved > 0) {
      core.cache.invalidate(walked.key.tenantId, walked.key.connectionId);
      core.emit(
        "rewrap",
        walked.key.tenantId,
        walked.key.connectionId,
        UNKNOWN_ACCESSOR,
        walked.entry.version,
      );
    }
    options.onProgress?.({ ...result, notMoved: [...result.notMoved], checkpoint: walked.checkpoint });
  }
  return result;
}

/** Moves one version, or says why it could not. */
async function rewrapVersion(
  core: ManagerCore,
  walked: WalkedCredential,
  version: number,
): Promise<Outcome | VersionFailure> {
  let record: BackendRecord | undefined;
  try {
    record = await readWalkedVersion(core, walked, version);
    if (!record) return "gone";
    if (core.codec.isCurrent(record.value)) return "current";
    const keyId = payloadKeyId(core, record.value);
    if (canRewriteInPlace(core)) await rewriteInPlace(core, walked, record);
    else if (version === walked.entry.version && !walked.entry.deleted) {
      const copiedTo = await rewriteAsNewVersion(core, walked, record);
      return versionFailure(walked, version, keyId, "unsupported", copiedTo);
    } else return versionFailure(walked, version, keyId, "unsupported");
    return "rewrapped";
  } catch (error) {
    const reason = CredkitError.isInstance(error) ? error.code : "unavailable";
    // why: a version the store will not hand out (a deleted one) is still named by the key id
    // its listed metadata records, so the report says which key it keeps required.
    const listedKeyId = version === walked.entry.version ? walked.entry.metadata.keyId : null;
    return versionFailure(walked, version, record ? payloadKeyId(core, record.value) : listedKeyId, reason);
  }
}

/** Re-seals one version for its own number and rewrites it where it is. */
async function rewriteInPlace(
  core: ManagerCore,
  walked: WalkedCredential,
  record: BackendRecord,
): Promise<void> {
  const { key } = walked;
  const fields = await openRecord(core, key, record);
  const metadata = { ...record.metadata, ...derivedMetadata(core, key, fields) };
  const sealed = await sealRecord(core, key, record.version, metadata, fields);
  const rewrite = core.backend.rewriteVersion as NonNullable<typeof core.backend.rewriteVersion>;
  await core.call(() => rewrite.call(core.backend, key, record.version, sealed, { ifValue: record.value }));
}

/**
 * Copies the latest live version to a new version under the current key (compare-and-set);
 * returns the new version's number.
 */
async function rewriteAsNewVersion(
  core: ManagerCore,
  walked: WalkedCredential,
  record: BackendRecord,
): Promise<number> {
  const { key } = walked;
  const fields = await openRecord(core, key, record);
  const metadata = { ...record.metadata, ...derivedMetadata(core, key, fields) };
  return (await putSealed(core, key, record.version, { metadata, fields })).version;
}
