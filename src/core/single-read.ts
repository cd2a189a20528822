/**
 * The read path of one credential: cache hit, or a single-flight load from the backend; then
 * the expiry check, access counting and audit of every read served.
 */
import type { CacheOutcome } from "./audit.js";
import { type CachedCredential, cacheKey } from "./cache.js";
import { coarseNow } from "./clock.js";
import { ExpiredError, ValidationError } from "./errors.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import type { GetOptions } from "./manager-options.js";
import { decryptRecord } from "./record-verification.js";

/** Typed errors for ids that are not strings (JavaScript callers), before any key is built. */
export function checkReadIds(
  core: ManagerCore,
  connectionId: unknown,
  userId: unknown,
  options: GetOptions,
): void {
  if (typeof connectionId === "string" && typeof userId === "string") return;
  const field = typeof connectionId === "string" ? "userId" : "connectionId";
  const error = new ValidationError(`${field} must be a string.`, field);
  throw core.fail("read", String(userId), String(connectionId), options.accessor, error);
}

/** A read through the cache: a hit is served at once, else the backend is asked. */
export async function readCredential(
  core: ManagerCore,
  connectionId: string,
  userId: string,
  options: GetOptions,
): Promise<CachedCredential> {
  checkReadIds(core, connectionId, userId, options);
  const key = cacheKey(userId, connectionId, options.version);
  const hit = options.forceRefresh ? undefined : core.cache.get(key);
  if (hit !== undefined) return serveEntry(core, hit, key, userId, connectionId, options, "hit");
  return readMiss(core, key, connectionId, userId, options);
}

/** A cache miss: one shared load from the backend, stale-if-error where the cache allows. */
export async function readMiss(
  core: ManagerCore,
  key: string,
  connectionId: string,
  userId: string,
  options: GetOptions,
): Promise<CachedCredential> {
  try {
    const { value, outcome } = await core.cache.load(key, () =>
      loadCredential(core, userId, connectionId, options.version),
    );
    const cache = outcome === "stale" ? "stale" : core.cache.enabled ? "miss" : "bypass";
    return serveEntry(core, value, key, userId, connectionId, options, cache);
  } catch (error) {
    throw core.fail("read", userId, connectionId, options.accessor, error);
  }
}

/** Checks expiry, counts the access and records the read; returns the entry to hand out. */
export function serveEntry(
  core: ManagerCore,
  entry: CachedCredential,
  key: string,
  tenant: string,
  name: string,
  options: GetOptions,
  cache: CacheOutcome,
): CachedCredential {
  const now = coarseNow();
  if (entry.expiresAt !== undefined && entry.expiresAt <= now && !options.allowExpired) {
    const error = new ExpiredError(
      `Credential "${name}" expired at ${new Date(entry.expiresAt).toISOString()}.`,
      new Date(entry.expiresAt),
    );
    throw core.fail("read", tenant, name, options.accessor, error);
  }
  core.trail.read(
    options.version === undefined ? key : cacheKey(tenant, name),
    now,
    tenant,
    name,
    options.accessor ?? UNKNOWN_ACCESSOR,
    entry.version,
    cache,
  );
  return entry;
}

async function loadCredential(
  core: ManagerCore,
  tenant: string,
  name: string,
  version?: number,
): Promise<CachedCredential> {
  const key = core.key(tenant, name);
  const record = await core.call(() => core.backend.get(key, { version }));
  return decryptRecord(core, key, record, version);
}
