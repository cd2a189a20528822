/**
 * `rewrap()`: moves records that are not under the current key to it, each with a
 * compare-and-set so a concurrent write is never overwritten.
 */
import type { BackendListEntry, RecordMetadata } from "./backend.js";
import { encodeTenant } from "./key-encoding.js";
import { type ManagerCore, UNKNOWN_ACCESSOR } from "./manager-core.js";
import { verifiedRecord } from "./record-verification.js";

/** How many records a rewrap moved and how many were already under the current key. */
export interface RewrapResult {
  rewrapped: number;
  current: number;
}

/** Re-encrypts every record (of one tenant, or all) that is not under the current key. */
export async function rewrapRecords(core: ManagerCore, options: { userId?: string }): Promise<RewrapResult> {
  const currentKeyId = core.codec.keyId;
  let rewrapped = 0;
  let current = 0;
  let cursor: string | undefined;
  do {
    const page = await core.call(() =>
      core.backend.list({
        ...(options.userId !== undefined ? { tenantSegment: encodeTenant(options.userId) } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      }),
    );
    for (const entry of page.entries) {
      if (await rewrapOne(core, entry, currentKeyId)) rewrapped++;
      else current++;
    }
    cursor = page.cursor;
  } while (cursor);
  return { rewrapped, current };
}

async function rewrapOne(
  core: ManagerCore,
  entry: BackendListEntry,
  currentKeyId: string | null,
): Promise<boolean> {
  if (entry.deleted || entry.metadata.keyId === currentKeyId) return false;
  const { tenant, name } = entry.metadata;
  const key = core.key(tenant, name);
  const record = verifiedRecord(core, key, await core.call(() => core.backend.get(key)));
  const fields = await core.codec.open(key, record.value);
  const value = await core.codec.seal(key, fields);
  const metadata: RecordMetadata = { ...record.metadata, keyId: currentKeyId };
  const { version } = await core.call(() =>
    core.backend.put(key, { value, metadata }, { ifVersion: record.version }),
  );
  core.cache.invalidate(tenant, name);
  core.emit("rewrap", tenant, name, UNKNOWN_ACCESSOR, version);
  return true;
}
