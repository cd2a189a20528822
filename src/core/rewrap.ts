/**
 * `rewrap()`: moves every version of every credential — soft-deleted ones included — to the
 * current key and envelope format, or reports exactly which versions it could not move (their
 * keys must then stay in the keyring). Resumable from a checkpoint, with progress after each
 * credential.
 *
 * Where the backend can rewrite versions in place (`capabilities.inPlaceRewrite`), each version is
 * re-sealed for its own number and rewritten with a compare-and-set on its old payload. Elsewhere
 * the latest live version is moved by writing a new version (compare-and-set on the version read)
 * and older versions and deleted credentials are reported as not moved.
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
      if (typeof outcome === "object") result.notMoved.push(outcome);
      else if (outcome !== "gone") result[outcome]++;
      if (outcome === "rewrapped") moved++;
    }
    if (moved > 0) {
      core.cache.invalidate(walked.key.tenant, walked.key.name);
      core.emit("rewrap", walked.key.tenant, walked.key.name, UNKNOWN_ACCESSOR, walked.entry.version);
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
    if (canRewriteInPlace(core)) await rewriteInPlace(core, walked, record);
    else if (version === walked.entry.version && !walked.entry.deleted) {
      await rewriteAsNewVersion(core, walked, record);
    } else return versionFailure(walked, version, payloadKeyId(core, record.value), "unsupported");
    return "rewrapped";
  } catch (error) {
    const reason = CredkitError.isInstance(error) ? error.code : "unavailable";
    return versionFailure(walked, version, record ? payloadKeyId(core, record.value) : null, reason);
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

/** Moves the latest live version by writing it again as a new version (compare-and-set). */
async function rewriteAsNewVersion(
  core: ManagerCore,
  walked: WalkedCredential,
  record: BackendRecord,
): Promise<void> {
  const { key } = walked;
  const fields = await openRecord(core, key, record);
  const metadata = { ...record.metadata, ...derivedMetadata(core, key, fields) };
  await putSealed(core, key, record.version, { metadata, fields });
}
