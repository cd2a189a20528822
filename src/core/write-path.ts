/**
 * The write path shared by store, rotate and update: read the current record, check
 * `ifVersion`, build and validate the fields, fingerprint, seal, write with compare-and-set where
 * asked, invalidate the cache, audit.
 */
import type { BackendRecord, RecordMetadata } from "./backend.js";
import { credentialInfo } from "./credential-info.js";
import { type CredentialInput, type CredentialType, validateCredential } from "./credential-types.js";
import { ConflictError, ValidationError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import type { CredentialInfo, WriteOptions } from "./manager-options.js";
import { currentRecord } from "./record-verification.js";

/** What a write stores: the type, the fields, and the version a merge was based on. */
export interface WritePlan {
  type: CredentialType;
  fields: CredentialInput;
  /** The version the fields were merged from: the write is a compare-and-set on it. */
  mergeOf?: number;
}

/** Builds the plan from the current record (undefined when there is none). */
export type PlanWrite = (existing: BackendRecord | undefined, key: BackendKey) => Promise<WritePlan>;

function parseExpiry(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError("expiresAt must be a valid date.", "expiresAt");
  }
  return date.toISOString();
}

function checkVersion(
  core: ManagerCore,
  key: BackendKey,
  expected: number,
  existing: BackendRecord | undefined,
): void {
  const actual = existing?.version ?? 0;
  if (actual !== expected) {
    throw new ConflictError(`Credential "${key.name}" is at version ${actual}, not ${expected}.`, expected, {
      source: core.backend.name,
    });
  }
}

/** Writes a new version of (tenant, name) as `plan` says; audits success and failure. */
export async function writeCredential(
  core: ManagerCore,
  action: "write" | "rotate",
  tenant: string,
  name: string,
  options: WriteOptions,
  plan: PlanWrite,
): Promise<CredentialInfo> {
  try {
    const key = core.key(tenant, name);
    const expiresAt = parseExpiry(options.expiresAt);
    const existing = await currentRecord(core, key);
    if (options.ifVersion !== undefined) checkVersion(core, key, options.ifVersion, existing);
    const { type, fields: input, mergeOf } = await plan(existing, key);
    const fields = validateCredential(type, input);
    const fingerprints: Record<string, string> = {};
    for (const [field, value] of Object.entries(fields)) fingerprints[field] = core.fingerprint(value);
    const now = new Date().toISOString();
    const metadata: RecordMetadata = {
      tenant,
      name,
      type,
      fingerprints,
      keyId: core.codec.keyId,
      createdAt: existing?.metadata.createdAt ?? now,
      updatedAt: now,
      ...(options.actor !== undefined ? { createdBy: options.actor } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    const value = await core.codec.seal(key, fields);
    const ifVersion = options.ifVersion ?? mergeOf;
    const { version } = await core.call(() =>
      core.backend.put(key, { value, metadata }, ifVersion === undefined ? {} : { ifVersion }),
    );
    core.cache.invalidate(tenant, name);
    core.emit(action, tenant, name, options.actor ?? UNKNOWN_ACCESSOR, version);
    return credentialInfo(core, metadata, version, false);
  } catch (error) {
    throw core.fail(action, tenant, name, options.actor, error);
  }
}
