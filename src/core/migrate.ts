/**
 * `migrateCredentials(source, target)`: copies every credential of every tenant (or of one) from
 * one manager's store to another's — every version in order, soft-deleted credentials included
 * where the source can read them and the target can keep them deleted — then reads each copied
 * version back from the target and compares it with the source. credkit's own records
 * (connections and the secrets they own) move too, so integrations survive a move.
 *
 * Values are opened with the source's keys and sealed with the target's, so the two may use
 * different keys. Version numbers carry over when the source holds every version from 1 (the
 * usual case); timestamps are the target's write times (`createdBy` carries over).
 *
 * It is resumable and idempotent: versions already on the target are verified, not written
 * again, so a run stopped anywhere (or `signal`) continues by running again, or from the
 * reported `checkpoint`.
 */
import type { BackendRecord } from "./backend.js";
import { type CredentialManager, managerCore, reservedNamesView } from "./credential-manager.js";
import { CredkitError, DeletedError, IntegrityError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";
import type { ManagerCore } from "./manager-core.js";
import { openRecord } from "./record-binding.js";
import { verifiedRecord } from "./record-verification.js";
import {
  readWalkedVersion,
  type VersionFailure,
  versionFailure,
  versionsOf,
  type WalkedCredential,
  walkCredentials,
} from "./record-walk.js";

/** Options of `migrateCredentials`. */
export interface MigrateOptions {
  /** Only this tenant's credentials. @default every tenant */
  tenantId?: string;
  /** A `checkpoint` from an earlier run's progress or result: continue from there. */
  from?: string;
  /** Called after each credential with the running totals and a checkpoint. */
  onProgress?: (progress: MigrateProgress) => void;
  /** Stops after the credential in progress; the result's `checkpoint` continues from there. */
  signal?: AbortSignal;
  /** Recorded as `createdBy` where the source version has none. @default "credkit-migrate" */
  actor?: string;
}

/** What a migration did. */
export interface MigrateResult {
  /** Credentials visited. */
  credentials: number;
  /** Versions written to the target and verified there. */
  copied: number;
  /** Versions already on the target (an earlier run) and verified equal. */
  verified: number;
  /** Credentials soft-deleted on the target because they are soft-deleted on the source. */
  deleted: number;
  /** Versions not copied, by ids, with the error code why (`deleted`, `unsupported`, `conflict`, …). */
  failures: VersionFailure[];
  /** Present when the migration stopped early (`signal`): pass it as `from` to continue. */
  checkpoint?: string;
}

/** Running totals, reported after each credential. */
export interface MigrateProgress extends MigrateResult {
  checkpoint: string;
}

/** The two sides of one migration. */
interface Sides {
  readonly source: ManagerCore;
  readonly target: ManagerCore;
  readonly writer: CredentialManager;
  readonly actor: string;
}

function sameFields(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every((name) => Object.hasOwn(b, name) && a[name] === b[name])
  );
}

/**
 * The target's latest version number (0: absent), or "deleted" when it is soft-deleted there
 * (AWS Secrets Manager reports a soft-deleted secret as scheduled for deletion).
 */
async function targetLatest(target: ManagerCore, key: BackendKey): Promise<number | "deleted"> {
  try {
    const record = await target.call(() => target.backend.get(key));
    return record ? verifiedRecord(target, key, record).version : 0;
  } catch (error) {
    if (
      DeletedError.isInstance(error) &&
      (error.state === "deleted" || error.state === "scheduled_for_deletion")
    ) {
      return "deleted";
    }
    throw error;
  }
}

/** Reads `version` back from the target and checks it holds `fields`. */
async function verifyCopy(
  target: ManagerCore,
  key: BackendKey,
  version: number,
  fields: Readonly<Record<string, string>>,
): Promise<void> {
  const record = verifiedRecord(
    target,
    key,
    await target.call(() => target.backend.get(key, { version })),
    version,
  );
  if (!sameFields(await openRecord(target, key, record), fields)) {
    throw new IntegrityError(
      `Version ${version} of "${key.connectionId}" on the target differs from the source.`,
    );
  }
}

/** The readable versions of a credential on the source, oldest first, or failures. */
async function sourceVersions(
  sides: Sides,
  walked: WalkedCredential,
  result: MigrateResult,
): Promise<BackendRecord[]> {
  const records: BackendRecord[] = [];
  for (const version of versionsOf(sides.source, walked.entry)) {
    try {
      const record = await readWalkedVersion(sides.source, walked, version);
      if (record) records.push(record);
    } catch (error) {
      const reason = CredkitError.isInstance(error) ? error.code : "unavailable";
      result.failures.push(versionFailure(walked, version, null, reason));
    }
  }
  return records;
}

/** Copies (or verifies) every version of one credential, then mirrors a soft delete. */
async function migrateOne(sides: Sides, walked: WalkedCredential, result: MigrateResult): Promise<void> {
  const { source, target, writer } = sides;
  const { tenantId, connectionId } = walked.key;
  const key = target.key(tenantId, connectionId);
  let latest = await targetLatest(target, key);
  if (latest === "deleted") return;
  if (walked.entry.deleted && !target.backend.capabilities.softDelete) {
    result.failures.push(versionFailure(walked, walked.entry.version, null, "unsupported"));
    return;
  }
  for (const record of await sourceVersions(sides, walked, result)) {
    try {
      const fields = await openRecord(source, walked.key, record);
      if (latest > 0 && record.version <= latest) {
        await verifyCopy(target, key, record.version, fields);
        result.verified++;
        continue;
      }
      const { metadata } = record;
      const info = await writer.storeCredentials(connectionId, tenantId, fields, {
        type: metadata.type,
        ...(metadata.expiresAt !== undefined ? { expiresAt: metadata.expiresAt } : {}),
        actor: metadata.createdBy ?? sides.actor,
        ifVersion: latest,
      });
      latest = info.version;
      await verifyCopy(target, key, info.version, fields);
      result.copied++;
    } catch (error) {
      const reason = CredkitError.isInstance(error) ? error.code : "unavailable";
      result.failures.push(versionFailure(walked, record.version, record.metadata.keyId, reason));
      return;
    }
  }
  if (walked.entry.deleted && latest > 0) {
    await writer.deleteCredentials(connectionId, tenantId, { actor: sides.actor });
    result.deleted++;
  }
}

/** Copies every credential from `source`'s store to `target`'s; see the module comment. */
export async function migrateCredentials(
  source: CredentialManager,
  target: CredentialManager,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const sides: Sides = {
    source: managerCore(source),
    target: managerCore(target),
    writer: reservedNamesView(target),
    actor: options.actor ?? "credkit-migrate",
  };
  const result: MigrateResult = { credentials: 0, copied: 0, verified: 0, deleted: 0, failures: [] };
  const walk = walkCredentials(sides.source, {
    ...(options.tenantId !== undefined ? { userId: options.tenantId } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
  });
  for await (const walked of walk) {
    if (options.signal?.aborted) return { ...result, checkpoint: walked.checkpoint };
    result.credentials++;
    await migrateOne(sides, walked, result);
    options.onProgress?.({ ...result, failures: [...result.failures], checkpoint: walked.checkpoint });
  }
  return result;
}
