/**
 * Integer versions on Key Vault, which has neither integer versions nor conditional writes.
 *
 * Key Vault gives every `setSecret` a new random 32-hex version id and never refuses a write, so
 * credkit numbers versions itself, in tags, and settles races by a claim protocol:
 *
 * 1. Read the current number `n` (the highest `committed` version) and write the new version
 *    tagged `credkit-version = n + 1`, `credkit-state = pending`, and a random claim id.
 * 2. List the secret's versions. If another live claim on `n + 1` is committed, or has a smaller
 *    claim id, or any higher number is committed, this claim loses: it is re-tagged `lost`.
 * 3. Otherwise re-tag it `committed`, list again, and keep it only if no other claim on `n + 1`
 *    is committed by then (else re-tag it `lost`).
 *
 * Key Vault is strongly consistent, so of two claims on one number the one committed later
 * always sees the other in step 3: at most one claim wins a number. A losing unconditional
 * write simply tries again with the next number, so every write ends with its own version (or
 * a typed error after `maxWriteAttempts`); a losing `ifVersion` write is a `ConflictError` once
 * the number is taken. Readers only trust `committed` versions. A pending claim older than
 * `claimTtlMs` (its writer died mid-protocol) is ignored.
 *
 * This is compare-and-set built from reads and writes, not a server-side check: it relies on
 * every writer following the protocol (a writer outside credkit, e.g. the portal, is invisible
 * to it), so the backend declares `compareAndSet: "best-effort"`.
 */
import type { Tags, VersionTags } from "./record.js";
import { readTags } from "./record.js";

/** One credkit-tagged version of a secret. */
export interface Claim {
  /** Key Vault's version id (32 hex). */
  readonly id: string;
  readonly tags: VersionTags;
  readonly rawTags: Tags;
  readonly createdOn: Date | undefined;
}

/** What step 2 or 3 decided. */
export type Verdict = "proceed" | "lose";

/** The credkit claims among a secret's versions. */
export function claimsOf(
  versions: ReadonlyArray<{ version?: string; tags?: Tags; createdOn?: Date }>,
): Claim[] {
  const claims: Claim[] = [];
  for (const version of versions) {
    const tags = readTags(version.tags);
    if (tags && version.version) {
      claims.push({ id: version.version, tags, rawTags: version.tags ?? {}, createdOn: version.createdOn });
    }
  }
  return claims;
}

/** The committed claim for a number (the smallest claim id if a race left two for a moment). */
export function committedAt(claims: readonly Claim[], version: number): Claim | undefined {
  return claims
    .filter((claim) => claim.tags.state === "committed" && claim.tags.version === version)
    .sort((a, b) => (a.tags.claim < b.tags.claim ? -1 : 1))[0];
}

/** The highest committed claim: the current version. */
export function latestCommitted(claims: readonly Claim[]): Claim | undefined {
  let best: Claim | undefined;
  for (const claim of claims) {
    if (claim.tags.state !== "committed") continue;
    if (!best || claim.tags.version > best.tags.version) best = claim;
  }
  return best ? committedAt(claims, best.tags.version) : undefined;
}

function rivals(claims: readonly Claim[], version: number, claimId: string, now: number, staleMs: number) {
  return claims.filter((claim) => {
    if (claim.tags.version !== version || claim.tags.claim === claimId) return false;
    if (claim.tags.state === "lost") return false;
    const stale =
      claim.tags.state === "pending" &&
      claim.createdOn !== undefined &&
      now - claim.createdOn.getTime() > staleMs;
    return !stale;
  });
}

function higherCommitted(claims: readonly Claim[], version: number): boolean {
  return claims.some((claim) => claim.tags.state === "committed" && claim.tags.version > version);
}

/**
 * Step 2 (`before`: may this pending claim commit?) or step 3 (`after`: does this committed
 * claim keep its number?). Step 2 also yields to a rival with a smaller claim id, so a batch of
 * simultaneous writers has one that goes ahead.
 */
export function judge(
  step: "before" | "after",
  claims: readonly Claim[],
  version: number,
  claimId: string,
  now: number,
  staleMs: number,
): Verdict {
  if (higherCommitted(claims, version)) return "lose";
  const beaten = rivals(claims, version, claimId, now, staleMs).some(
    (claim) => claim.tags.state === "committed" || (step === "before" && claim.tags.claim < claimId),
  );
  return beaten ? "lose" : "proceed";
}

/** Pending leftovers of this writer's own retried requests (same claim id, another version). */
export function ownLeftovers(claims: readonly Claim[], claimId: string, keep: string): Claim[] {
  return claims.filter(
    (claim) => claim.tags.claim === claimId && claim.id !== keep && claim.tags.state === "pending",
  );
}
