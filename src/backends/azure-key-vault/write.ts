/**
 * A write: a new Key Vault version tagged `pending` with the next version number and a random
 * claim id, then settled by the claim protocol in `claims.ts` (committed, or lost and tried
 * again after a backoff). Writing a soft-deleted name recovers it first, or is a conflict.
 */
import { randomBytes } from "node:crypto";
import type { KeyVaultSecret } from "@azure/keyvault-secrets";
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { versionConflict } from "../../core/backend-support.js";
import { ConflictError, UnavailableError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { contentionBackoff } from "../../core/retry.js";
import { type Claim, judge, ownLeftovers } from "./claims.js";
import { isDeletedNameConflict, SOURCE } from "./errors.js";
import { secretName } from "./names.js";
import { NAME } from "./read.js";
import { encodeValue, RECORD_CONTENT_TYPE, tagsFor } from "./record.js";
import { type AzureKv, call, claims, currentVersion, oneRequest, recovery, retag } from "./requests.js";

/** Writes a new version of `key`; `ifVersion` is the version it must replace (0: none). */
export async function putRecord(
  kv: AzureKv,
  key: BackendKey,
  write: BackendWrite,
  options: BackendPutOptions,
): Promise<{ version: number }> {
  const name = secretName(kv.settings.prefix, key);
  const claimId = randomBytes(8).toString("hex");
  let expected = options.ifVersion;
  for (let attempt = 0; attempt < kv.settings.maxWriteAttempts; attempt++) {
    const current = await currentVersion(kv, name);
    if (expected !== undefined && expected !== current) {
      throw versionConflict(NAME, key, options.ifVersion as number, current);
    }
    const version = current + 1;
    const mine = await writeClaim(kv, name, key, write, version, claimId);
    if ("deleted" in mine) {
      if (kv.settings.onDeletedName === "conflict") {
        throw new ConflictError(
          `Credential "${key.connectionId}" is deleted but recoverable in Key Vault; restore or purge it before storing it again.`,
          options.ifVersion,
          { source: SOURCE, cause: mine.deleted },
        );
      }
      // why: a soft-deleted record counts as version 0; recovering brings its history back.
      if (expected !== undefined && expected !== 0) throw versionConflict(NAME, key, expected, 0);
      await call(kv, "recover a deleted secret", recovery(kv, name));
      if (expected !== undefined) expected = await currentVersion(kv, name);
      continue;
    }
    if (await settle(kv, name, mine)) return { version };
    await contentionBackoff(attempt, 20, 1000);
  }
  throw new UnavailableError(
    `Too many concurrent writers to credential "${key.connectionId}"; gave up after ${kv.settings.maxWriteAttempts} attempts.`,
    { source: SOURCE },
  );
}

/** Writes `version` as a pending claim: the claim, or the cause when the name is soft-deleted. */
async function writeClaim(
  kv: AzureKv,
  name: string,
  key: BackendKey,
  write: BackendWrite,
  version: number,
  claimId: string,
): Promise<Claim | { deleted: unknown }> {
  const tags = tagsFor(key.tenantSegment, write.metadata, version, "pending", claimId);
  const expiresOn = write.metadata.expiresAt ? new Date(write.metadata.expiresAt) : undefined;
  let written: KeyVaultSecret;
  try {
    written = await call(kv, "write a secret", (client, attempt) =>
      client.setSecret(name, encodeValue(write), {
        tags,
        contentType: RECORD_CONTENT_TYPE,
        ...(expiresOn ? { expiresOn } : {}),
        ...oneRequest(kv, attempt),
      }),
    );
  } catch (error) {
    if (!isDeletedNameConflict(error)) throw error;
    return { deleted: (error as Error).cause };
  }
  return {
    id: written.properties.version ?? "",
    tags: {
      version,
      state: "pending",
      claim: claimId,
      tenantSegment: key.tenantSegment,
      metadata: undefined,
    },
    rawTags: tags,
    createdOn: written.properties.createdOn,
  };
}

/** Steps 2 and 3 of the claim protocol for our freshly written version: true when it is committed. */
async function settle(kv: AzureKv, name: string, mine: Claim): Promise<boolean> {
  const { version, claim: claimId } = mine.tags;
  const { claimTtlMs } = kv.settings;
  const first = (await claims(kv, name)) ?? [];
  for (const leftover of ownLeftovers(first, claimId, mine.id)) await retag(kv, name, leftover, "lost");
  if (judge("before", first, version, claimId, Date.now(), claimTtlMs) === "lose") {
    await retag(kv, name, mine, "lost");
    return false;
  }
  await retag(kv, name, mine, "committed");
  const second = (await claims(kv, name)) ?? [];
  if (judge("after", second, version, claimId, Date.now(), claimTtlMs) === "lose") {
    await retag(kv, name, mine, "lost");
    return false;
  }
  return true;
}
