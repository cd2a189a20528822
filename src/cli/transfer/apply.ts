/**
 * One batch of an import: each record compared with what is stored (one batched read) and
 * written only when it differs — created with `ifVersion: 0`, updated with `ifVersion` of the
 * version read — so running a batch twice writes nothing the second time. A record from a
 * history export (carrying the `version` it had) is kept as unchanged when the target's latest
 * version is that version or later, so a resumed or repeated history import adds no version.
 */

import type { CredentialManager } from "../../core/credential-manager.js";
import type { CredentialType } from "../../core/credential-types.js";
import { CredkitError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import type { SecretFields } from "../../core/secret.js";
import type { TransferRecord } from "./records.js";

/** What happened to one input item. */
export type ItemOutcome = "created" | "updated" | "unchanged" | "failed";

/** One item's result, by ids only. */
export interface ItemResult {
  /** 1-based position in the input. */
  readonly item: number;
  readonly tenantId?: string;
  readonly connectionId?: string;
  readonly outcome: ItemOutcome;
  /** The version written (or found unchanged). */
  readonly version?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Writes at once within a batch. */
const WRITE_CONCURRENCY = 64;

function failed(item: number, record: TransferRecord | undefined, error: unknown): ItemResult {
  const code = CredkitError.isInstance(error) ? error.code : "unknown";
  return {
    item,
    ...(record ? { tenantId: record.tenantId, connectionId: record.connectionId } : {}),
    outcome: "failed",
    error: { code, message: scrubError(error, record ? Object.values(record.fields) : []).message },
  };
}

function sameValues(stored: SecretFields, fields: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(fields);
  return (
    names.length === Object.keys(stored).length &&
    names.every((name) => Object.hasOwn(stored, name) && stored[name]?.reveal() === fields[name])
  );
}

/** Decides and (unless `dryRun`) writes one record, given what the batched read found. */
async function applyOne(
  manager: CredentialManager,
  item: number,
  record: TransferRecord,
  found: { version: number; fields: SecretFields } | undefined,
  dryRun: boolean,
): Promise<ItemResult> {
  const ids = { item, tenantId: record.tenantId, connectionId: record.connectionId };
  if (found && sameValues(found.fields, record.fields))
    return { ...ids, outcome: "unchanged", version: found.version };
  if (found && record.version !== undefined && found.version >= record.version) {
    return { ...ids, outcome: "unchanged", version: found.version };
  }
  const outcome = found ? "updated" : "created";
  if (dryRun) return { ...ids, outcome };
  const info = await manager.storeCredentials(record.connectionId, record.tenantId, record.fields, {
    ...(record.type !== undefined ? { type: record.type as CredentialType } : {}),
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
    ifVersion: found?.version ?? 0,
    actor: "credkit-import",
  });
  return { ...ids, outcome, version: info.version };
}

/** Applies one batch of records (no two with the same tenant and connection). */
export async function applyBatch(
  manager: CredentialManager,
  batch: ReadonlyArray<{ item: number; record: TransferRecord }>,
  dryRun: boolean,
): Promise<ItemResult[]> {
  const reads = await manager.getManyCredentials(
    batch.map(({ record }) => ({ connectionId: record.connectionId, userId: record.tenantId })),
    { accessor: "credkit-import", forceRefresh: true, allowExpired: true },
  );
  const results: ItemResult[] = new Array(batch.length);
  for (let start = 0; start < batch.length; start += WRITE_CONCURRENCY) {
    await Promise.all(
      batch.slice(start, start + WRITE_CONCURRENCY).map(async ({ item, record }, offset) => {
        const index = start + offset;
        const read = reads[index]!;
        try {
          if (!read.ok && read.error.code !== "not_found") throw read.error;
          const found = read.ok ? { version: read.version, fields: read.credentials } : undefined;
          results[index] = await applyOne(manager, item, record, found, dryRun);
        } catch (error) {
          results[index] = failed(item, record, error);
        }
      }),
    );
  }
  return results;
}

export { failed as failedItem };
