/**
 * Listing: one `ListSecrets` page (at most 100) filtered by name prefix and the tenant tag;
 * live secrets' metadata comes from their values through batch reads, deleted secrets' from
 * the description written at delete time (values cannot be read while deletion is scheduled).
 */
import type { ListSecretsCommandOutput, SecretListEntry } from "@aws-sdk/client-secrets-manager";
import type {
  BackendListEntry,
  BackendListOptions,
  BackendListPage,
  RecordMetadata,
} from "../../core/backend.js";
import type { CredentialType } from "../../core/credential-types.js";
import { DeletedError } from "../../core/errors.js";
import { unescapeComponent } from "../../core/key-encoding.js";
import { type BatchResult, batchRead, chunksOf } from "./batch-read.js";
import type { AwsContext } from "./context.js";
import { CURRENT, parseSecretName, TENANT_TAG, TYPE_TAG, tenantPrefix, versionWithStage } from "./names.js";
import { tagValue } from "./read.js";
import { decodeDeletedDescription } from "./record.js";

const LIST_PAGE_MAX = 100;
const WHAT = "list credentials";

function isoOf(date: Date | undefined): string {
  return (date ?? new Date(0)).toISOString();
}

/** One page of ListSecrets with credkit's filters. */
async function listSecrets(
  context: AwsContext,
  options: BackendListOptions,
): Promise<ListSecretsCommandOutput> {
  const { prefix } = context.config;
  const namePrefix =
    options.tenantSegment !== undefined ? tenantPrefix(prefix, options.tenantSegment) : prefix;
  const filters = [
    ...(namePrefix !== "" ? [{ Key: "name" as const, Values: [namePrefix] }] : []),
    { Key: "tag-key" as const, Values: [TENANT_TAG] },
  ];
  const limit = Math.min(LIST_PAGE_MAX, Math.max(1, options.limit ?? LIST_PAGE_MAX));
  try {
    return await context.call(({ sdk, client }, abortSignal) =>
      client.send(
        new sdk.ListSecretsCommand({
          Filters: filters,
          MaxResults: limit,
          IncludePlannedDeletion: options.includeDeleted === true,
          ...(options.cursor !== undefined ? { NextToken: options.cursor } : {}),
        }),
        { abortSignal },
      ),
    );
  } catch (error) {
    throw context.fail(error, WHAT);
  }
}

/** Whether a listed secret is one of ours, of the tenant asked for, and wanted (deleted ones on request). */
function isWanted(context: AwsContext, entry: SecretListEntry, options: BackendListOptions): boolean {
  const parsed = entry.Name ? parseSecretName(context.config.prefix, entry.Name) : undefined;
  if (!parsed) return false;
  if (options.tenantSegment !== undefined && parsed.tenantSegment !== options.tenantSegment) return false;
  return options.includeDeleted === true || entry.DeletedDate === undefined;
}

/** The records of live secrets, read in batches. */
async function readLive(context: AwsContext, names: readonly string[]): Promise<Map<string, BatchResult>> {
  const records = new Map<string, BatchResult>();
  for (const chunk of chunksOf(names)) {
    try {
      for (const [name, result] of await batchRead(context, chunk)) records.set(name, result);
    } catch (error) {
      throw context.fail(error, WHAT);
    }
  }
  return records;
}

/** Metadata of a secret scheduled for deletion: from the description written at delete time. */
function deletedEntry(context: AwsContext, entry: SecretListEntry): BackendListEntry | undefined {
  const stored = decodeDeletedDescription(entry.Description);
  if (stored) return { metadata: stored.metadata, version: stored.version, deleted: true };
  const parsed = entry.Name ? parseSecretName(context.config.prefix, entry.Name) : undefined;
  const tenantId = parsed && unescapeComponent(parsed.tenantSegment);
  const connectionId = parsed && unescapeComponent(parsed.connectionSegment);
  if (tenantId === undefined || connectionId === undefined) return undefined;
  const metadata: RecordMetadata = {
    tenant: tenantId,
    name: connectionId,
    type: (tagValue(entry.Tags, TYPE_TAG) ?? "custom") as CredentialType,
    fingerprints: {},
    keyId: null,
    createdAt: isoOf(entry.CreatedDate),
    updatedAt: isoOf(entry.LastChangedDate),
  };
  const version = versionWithStage(entry.SecretVersionsToStages, CURRENT)?.version ?? 0;
  return { metadata, version, deleted: true };
}

/** `Backend.list`: one page of entries, with the service's own cursor. */
export async function listPage(context: AwsContext, options: BackendListOptions): Promise<BackendListPage> {
  const output = await listSecrets(context, options);
  const ours = (output.SecretList ?? []).filter((entry) => isWanted(context, entry, options));
  const records = await readLive(
    context,
    ours.filter((entry) => entry.DeletedDate === undefined).map((entry) => entry.Name as string),
  );
  const entries: BackendListEntry[] = [];
  for (const entry of ours) {
    if (entry.DeletedDate !== undefined) {
      const deleted = deletedEntry(context, entry);
      if (deleted) entries.push(deleted);
      continue;
    }
    const record = records.get(entry.Name as string);
    // why: deleted or purged between the listing and the read.
    if (record === undefined || DeletedError.isInstance(record)) continue;
    if (record instanceof Error) throw record;
    entries.push({ metadata: record.metadata, version: record.version, deleted: false });
  }
  return output.NextToken ? { entries, cursor: output.NextToken } : { entries };
}
