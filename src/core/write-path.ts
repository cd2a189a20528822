/**
 * The write path shared by store, rotate and update: read the current record, check
 * `ifVersion`, build and validate the fields, fingerprint and mask them, seal them for the version
 * they will be stored as, write with compare-and-set on the version read, invalidate the cache,
 * audit.
 */
import type { BackendRecord, RecordMetadata } from "./backend.js";
import { credentialInfo } from "./credential-info.js";
import { type CredentialInput, type CredentialType, validateCredential } from "./credential-types.js";
import { ConflictError, ValidationError } from "./errors.js";
import type { BackendKey } from "./key-encoding.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import type { CredentialInfo, WriteOptions } from "./manager-options.js";
import { sealRecord } from "./record-binding.js";
import { currentRecord } from "./record-verification.js";
import { maskSecret } from "./secret.js";

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

/** Attempts of an unconditional write that keeps losing the compare-and-set to other writers. */
const MAX_WRITE_ATTEMPTS = 20;

/** The version record a write stores, before sealing. */
export interface Draft {
  readonly metadata: RecordMetadata;
  readonly fields: Record<string, string>;
}

/**
 * Writes a new version of (tenant, name) as `plan` says; audits success and failure. The payload
 * is sealed for the version it will be stored as: the write is a compare-and-set on the version
 * read (`ifVersion` = read, sealed as read + 1). An unconditional write that loses the race reads
 * again and retries; a conditional one (`ifVersion`, or a merge) throws `ConflictError`.
 */
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
    for (let attempt = 1; ; attempt++) {
      const existing = await currentRecord(core, key);
      if (options.ifVersion !== undefined) checkVersion(core, key, options.ifVersion, existing);
      const { type, fields: input, mergeOf } = await plan(existing, key);
      const fields = validateCredential(type, input);
      const now = new Date().toISOString();
      const metadata: RecordMetadata = {
        tenant,
        name,
        type,
        ...derivedMetadata(core, key, fields),
        keyId: core.codec.keyId,
        createdAt: existing?.metadata.createdAt ?? now,
        updatedAt: now,
        ...(options.actor !== undefined ? { createdBy: options.actor } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      };
      const conditional = options.ifVersion !== undefined || mergeOf !== undefined;
      try {
        const stored = await putSealed(core, key, existing?.version ?? 0, { metadata, fields });
        core.cache.invalidate(tenant, name);
        core.emit(action, tenant, name, options.actor ?? UNKNOWN_ACCESSOR, stored.version);
        return credentialInfo(core, stored.metadata, stored.version, false);
      } catch (error) {
        if (conditional || !ConflictError.isInstance(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    throw core.fail(action, tenant, name, options.actor, error);
  }
}

/**
 * The metadata derived from the values: keyed fingerprints bound to (tenant, name, field), and
 * the masked forms, stored so masked views need no decryption.
 */
export function derivedMetadata(
  core: ManagerCore,
  key: BackendKey,
  fields: Readonly<Record<string, string>>,
): Pick<RecordMetadata, "fingerprints" | "masked"> {
  const masked: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) masked[field] = maskSecret(value);
  return { fingerprints: core.fingerprints(key.tenant, key.name, fields), masked };
}

/**
 * Seals the draft as version `current + 1` and writes it with `ifVersion: current`. Where the
 * backend numbers the new version otherwise (a write after a soft delete continues the old
 * numbering on some stores), the version is sealed again for the number it got: in place where
 * the backend can rewrite versions, else as one more version on top.
 */
export async function putSealed(
  core: ManagerCore,
  key: BackendKey,
  current: number,
  draft: Draft,
): Promise<{ version: number; metadata: RecordMetadata }> {
  let sealed = await sealRecord(core, key, current + 1, draft.metadata, draft.fields);
  const { version } = await core.call(() => core.backend.put(key, sealed, { ifVersion: current }));
  if (version === current + 1) return { version, metadata: sealed.metadata };
  const rewrite = core.backend.rewriteVersion;
  if (core.backend.capabilities.inPlaceRewrite && rewrite) {
    const previous = sealed.value;
    sealed = await sealRecord(core, key, version, draft.metadata, draft.fields);
    await core.call(() => rewrite.call(core.backend, key, version, sealed, { ifValue: previous }));
    return { version, metadata: sealed.metadata };
  }
  return putSealed(core, key, version, draft);
}
