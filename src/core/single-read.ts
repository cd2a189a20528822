/**
 * The read path of one credential: cache hit, or a single-flight load from the backend; then
 * the expiry check, access counting and audit of every read served.
 */
import type { CacheOutcome } from "./audit.js";
import { type CachedCredential, cacheKey } from "./cache.js";
import { coarseNow } from "./clock.js";
import { ExpiredError, ValidationError } from "./errors.js";
import { checkId, checkPublicName, isBoundedId, isReservedName } from "./ids.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import type { GetOptions } from "./manager-options.js";
import { decryptRecord } from "./record-verification.js";

/**
 * Typed errors for ids out of bounds (see `ids.ts`), for reserved connection ids unless
 * `reserved` names are allowed, and for a `version` that is not a positive whole number: before
 * any key is built or the cache is consulted.
 */
export function checkReadIds(
  core: ManagerCore,
  tenantId: unknown,
  connectionId: unknown,
  options: GetOptions,
  reserved: boolean,
): void {
  const idsFine =
    isBoundedId(tenantId) && isBoundedId(connectionId) && (reserved || !isReservedName(connectionId));
  if (idsFine && options.version === undefined && options.correlationId === undefined) return;
  try {
    checkId(tenantId, "userId");
    if (reserved) checkId(connectionId, "connectionId");
    else checkPublicName(connectionId);
    checkVersion(options.version);
    if (options.correlationId !== undefined) checkId(options.correlationId, "correlationId");
  } catch (error) {
    throw core.fail("read", tenantId as string, connectionId as string, options.accessor, error);
  }
}

/** A `version` read option: undefined (latest) or a positive whole number, else `ValidationError`. */
export function checkVersion(version: unknown): void {
  if (version === undefined) return;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new ValidationError("version must be a positive whole number.", "version");
  }
}

/** A read through the cache: a hit is served at once, else the backend is asked. */
export async function readCredential(
  core: ManagerCore,
  tenantId: string,
  connectionId: string,
  options: GetOptions,
  reserved: boolean,
): Promise<CachedCredential> {
  checkReadIds(core, tenantId, connectionId, options, reserved);
  const key = cacheKey(tenantId, connectionId, options.version);
  const hit = options.forceRefresh ? undefined : core.cache.get(key);
  if (hit !== undefined) return serveEntry(core, hit, key, tenantId, connectionId, options, "hit");
  return readMiss(core, key, tenantId, connectionId, options);
}

/** A cache miss: one shared load from the backend, stale-if-error where the cache allows. */
export async function readMiss(
  core: ManagerCore,
  key: string,
  tenantId: string,
  connectionId: string,
  options: GetOptions,
): Promise<CachedCredential> {
  try {
    const { value, outcome } = await core.cache.load(key, () =>
      loadCredential(core, tenantId, connectionId, options.version),
    );
    const cache = outcome === "stale" ? "stale" : core.cache.enabled ? "miss" : "bypass";
    return serveEntry(core, value, key, tenantId, connectionId, options, cache);
  } catch (error) {
    throw core.fail("read", tenantId, connectionId, options.accessor, error, options.correlationId);
  }
}

/** Checks expiry, counts the access and records the read; returns the entry to hand out. */
export function serveEntry(
  core: ManagerCore,
  entry: CachedCredential,
  key: string,
  tenantId: string,
  connectionId: string,
  options: GetOptions,
  cache: CacheOutcome,
): CachedCredential {
  const now = coarseNow();
  if (entry.expiresAt !== undefined && entry.expiresAt <= now && !options.allowExpired) {
    const error = new ExpiredError(
      `Credential "${connectionId}" expired at ${new Date(entry.expiresAt).toISOString()}.`,
      new Date(entry.expiresAt),
    );
    throw core.fail("read", tenantId, connectionId, options.accessor, error, options.correlationId);
  }
  core.trail.read(
    options.version === undefined ? key : cacheKey(tenantId, connectionId),
    now,
    tenantId,
    connectionId,
    options.accessor ?? UNKNOWN_ACCESSOR,
    entry.version,
    cache,
    options.correlationId,
  );
  return entry;
}

async function loadCredential(
  core: ManagerCore,
  tenantId: string,
  connectionId: string,
  version?: number,
): Promise<CachedCredential> {
  const key = core.key(tenantId, connectionId);
  const record = await core.call(() => core.backend.get(key, { version }));
  return decryptRecord(core, key, record, version);
}
