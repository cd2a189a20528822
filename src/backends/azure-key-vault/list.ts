/**
 * Listing: live secrets, then (with `includeDeleted`) deleted ones, filtered to credkit's prefix
 * and the tenant. The cursor is the phase and how many of its items earlier pages consumed.
 */
import type { DeletedSecret, PagedAsyncIterableIterator, SecretProperties } from "@azure/keyvault-secrets";
import type { BackendListEntry, BackendListOptions, BackendListPage } from "../../core/backend.js";
import { ValidationError } from "../../core/errors.js";
import { latestCommitted } from "./claims.js";
import { SOURCE } from "./errors.js";
import { readTags } from "./record.js";
import { type AzureKv, call, claims, MAX_PAGE, readVersion } from "./requests.js";

interface ListCursor {
  /** `l`: live secrets; `d`: deleted ones. */
  readonly p: "l" | "d";
  /** Items of that listing already consumed. */
  readonly s: number;
}

function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function decodeCursor(text: string | undefined): ListCursor {
  if (!text) return { p: "l", s: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as ListCursor;
    if ((parsed.p === "l" || parsed.p === "d") && Number.isSafeInteger(parsed.s) && parsed.s >= 0) {
      return parsed;
    }
  } catch {
    // fall through
  }
  throw new ValidationError("The list cursor is not one this backend issued.", "cursor", { source: SOURCE });
}

/** One page of records after `options.cursor`. */
export async function listRecords(kv: AzureKv, options: BackendListOptions = {}): Promise<BackendListPage> {
  const limit = Math.max(1, options.limit ?? 100);
  const cursor = decodeCursor(options.cursor);
  return call(kv, "list secrets", async (client, { signal: abortSignal }) => {
    const entries: BackendListEntry[] = [];
    const phases: Array<"l" | "d"> = cursor.p === "d" ? ["d"] : options.includeDeleted ? ["l", "d"] : ["l"];
    for (const phase of phases) {
      // why: resuming skips what earlier pages consumed; the SDK drops page links (see requests.ts).
      let position = 0;
      const skip = phase === cursor.p ? cursor.s : 0;
      const source: PagedAsyncIterableIterator<SecretProperties | DeletedSecret> =
        phase === "l"
          ? client.listPropertiesOfSecrets({ abortSignal })
          : client.listDeletedSecrets({ abortSignal });
      for await (const page of source.byPage({ maxPageSize: MAX_PAGE })) {
        for (const item of page) {
          position++;
          if (position <= skip) continue;
          const properties: SecretProperties = "properties" in item ? item.properties : item;
          const entry = await listEntry(kv, properties, phase === "d", options.tenantSegment);
          if (entry) entries.push(entry);
          if (entries.length >= limit) return { entries, cursor: encodeCursor({ p: phase, s: position }) };
        }
      }
    }
    return { entries };
  });
}

async function listEntry(
  kv: AzureKv,
  properties: SecretProperties,
  deleted: boolean,
  tenantSegment: string | undefined,
): Promise<BackendListEntry | undefined> {
  if (!properties.name.toLowerCase().startsWith(kv.settings.prefix)) return undefined;
  const tags = readTags(properties.tags);
  if (!tags || (tenantSegment !== undefined && tags.tenantSegment !== tenantSegment)) return undefined;
  if (deleted) {
    // why: a deleted secret's versions and value cannot be read; its last tags are all there is.
    return tags.metadata ? { metadata: tags.metadata, version: tags.version, deleted: true } : undefined;
  }
  if (tags.state === "committed" && tags.metadata) {
    return { metadata: tags.metadata, version: tags.version, deleted: false };
  }
  const all = await claims(kv, properties.name);
  const claim = all ? latestCommitted(all) : undefined;
  if (!claim) return undefined;
  if (claim.tags.metadata)
    return { metadata: claim.tags.metadata, version: claim.tags.version, deleted: false };
  const record = await readVersion(kv, properties.name, claim);
  return record ? { metadata: record.metadata, version: record.version, deleted: false } : undefined;
}
