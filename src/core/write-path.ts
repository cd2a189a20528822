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
  mergeOf?: number | undefined;
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
    throw new ConflictError(
      `Credential "${key.connectionId}" is at version ${actual}, not ${expected}.`,
      expected,
      {
        source: core.backend.name,
      },
    );
  }
}

/** Attempts of an unconditional write that keeps losing the compare-and-set to other writers. */
const MAX_WRITE_ATTEMPTS = 1000;
/** Longest pause, in milliseconds, between attempts of a write that lost the race. */
const MAX_RETRY_PAUSE_MS = 20;

/** A short random pause that grows with the attempts, so racing writers spread out. */
function pauseAfterLostRace(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(attempt, MAX_RETRY_PAUSE_MS);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The version record a write stores, before sealing. */
export interface Draft {
  readonly metadata: RecordMetadata;
  readonly fields: Record<string, string>;
}

/** Retries of lost races on one credential from one manager go one at a time. */
const writeQueues = new WeakMap<ManagerCore, Map<string, Promise<unknown>>>();

function serialized<T>(core: ManagerCore, id: string, write: () => Promise<T>): Promise<T> {
  const queues = writeQueues.get(core) ?? new Map<string, Promise<unknown>>();
  writeQueues.set(core, queues);
  const next = (queues.get(id) ?? Promise.resolve()).then(write, write);
  const tail = next.catch(() => undefined);
  queues.set(id, tail);
  void tail.then(() => {
    if (queues.get(id) === tail) queues.delete(id);
  });
  return next;
}

/**
 * Writes a new version of (tenant, name) as `plan` says; audits success and failure. The payload
 * is sealed for the version it will be stored as: the write is a compare-and-set on the version
 * read (`ifVersion` = read, sealed as read + 1). An unconditional write that loses the race to
 * another writer reads again and retries (this manager's losers one at a time) while the other
 * writers make progress; a conditional one (`ifVersion`, or a merge) throws `ConflictError`.
 */
export async function writeCredential(
  core: ManagerCore,
  action: "write" | "rotate",
  tenantId: string,
  connectionId: string,
  options: WriteOptions,
  plan: PlanWrite,
): Promise<CredentialInfo> {
  try {
    const key = core.key(tenantId, connectionId);
    const expiresAt = parseExpiry(options.expiresAt);
    const stored = await writeWithRetry(core, key, options, expiresAt, plan);
    core.cache.invalidate(tenantId, connectionId);
    core.emit(
      action,
      tenantId,
      connectionId,
      options.actor ?? UNKNOWN_ACCESSOR,
      stored.version,
      options.correlationId,
    );
    return credentialInfo(core, stored.metadata, stored.version, false);
  } catch (error) {
    throw core.fail(action, tenantId, connectionId, options.actor, error, options.correlationId);
  }
}

async function writeWithRetry(
  core: ManagerCore,
  key: BackendKey,
  options: WriteOptions,
  expiresAt: string | undefined,
  plan: PlanWrite,
  queued = false,
): Promise<{ version: number; metadata: RecordMetadata }> {
  let previouslySeen: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const existing = await currentRecord(core, key);
    if (options.ifVersion !== undefined) checkVersion(core, key, options.ifVersion, existing);
    const { type, fields: input, mergeOf } = await plan(existing, key);
    const fields = validateCredential(type, input);
    const now = new Date().toISOString();
    const metadata: RecordMetadata = {
      tenant: key.tenantId,
      name: key.connectionId,
      type,
      ...derivedMetadata(core, key, fields),
      keyId: core.codec.keyId,
      createdAt: existing?.metadata.createdAt ?? now,
      updatedAt: now,
      ...(options.actor !== undefined ? { createdBy: options.actor } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    const seen = existing?.version ?? 0;
    try {
      return await putSealed(core, key, seen, { metadata, fields });
    } catch (error) {
      const conditional = options.ifVersion !== undefined || mergeOf !== undefined;
      // why: a conflict with no new version since the last attempt is not a lost race; retrying
      // would loop, so it is reported.
      const lostRace = ConflictError.isInstance(error) && seen !== previouslySeen;
      if (conditional || !lostRace || attempt >= MAX_WRITE_ATTEMPTS) throw error;
      // why: writers from this manager that lost a race retry one at a time, so they stop
      // racing each other; only other processes' writers remain to race.
      if (!queued)
        return serialized(core, key.id, () => writeWithRetry(core, key, options, expiresAt, plan, true));
    }
    previouslySeen = seen;
    await pauseAfterLostRace(attempt);
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
  return { fingerprints: core.fingerprints(key.tenantId, key.connectionId, fields), masked };
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
