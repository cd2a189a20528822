/**
 * Listing: one `ListSecrets` page filtered by the tenant label, each secret re-checked against
 * the prefix and tenant segment. An entry's metadata comes from the secret's annotations when
 * they describe its latest version, else from the latest version's payload.
 */
import type { BackendListEntry, BackendListOptions, BackendListPage } from "../../core/backend.js";
import { mapLimit } from "../../kit/map-limit.js";
import { type SecretLike, versionState } from "./client.js";
import { type GcpContext, unlessMissing } from "./context.js";
import { NAME } from "./errors.js";
import { listFilter, versionNumberOf } from "./names.js";
import { verifiedPayload } from "./read.js";
import { annotatedMetadata, decodePayload } from "./record.js";

/** Secrets read at once to build a page. */
const LIST_CONCURRENCY = 16;
const WHAT = "list credentials";

/** A listed secret as an entry: its latest version's number and state, and its metadata. */
async function listEntry(context: GcpContext, secret: SecretLike): Promise<BackendListEntry | undefined> {
  const name = secret.name as string;
  const [latest] =
    (await unlessMissing(
      context.rpc(WHAT, (client, o) => client.getSecretVersion({ name: `${name}/versions/latest` }, o)),
    )) ?? [];
  const version = latest ? versionNumberOf(latest.name) : undefined;
  // why: a secret without versions is a first write in progress (or one that failed): not a record yet.
  if (!latest || version === undefined) return undefined;
  const deleted = versionState(latest) !== "enabled";
  const annotated = annotatedMetadata(secret.annotations);
  if (annotated && (annotated.version === version || deleted)) {
    return { metadata: annotated.metadata, version, deleted };
  }
  if (deleted) return undefined;
  const [response] =
    (await unlessMissing(
      context.rpc(WHAT, (client, o) => client.accessSecretVersion({ name: latest.name as string }, o)),
    )) ?? [];
  if (!response) return undefined;
  return {
    metadata: decodePayload(verifiedPayload(response, "a listed credential"), NAME).metadata,
    version,
    deleted,
  };
}

/** `Backend.list`: one page of entries, with the service's own page token as cursor. */
export async function listPage(context: GcpContext, options: BackendListOptions): Promise<BackendListPage> {
  const names = await context.names();
  const [secrets, next] = await context.rpc(WHAT, (client, o) =>
    client.listSecrets(
      {
        parent: names.parent,
        filter: listFilter(options.tenantSegment),
        ...(options.limit !== undefined ? { pageSize: options.limit } : {}),
        ...(options.cursor ? { pageToken: options.cursor } : {}),
      },
      { ...o, autoPaginate: false },
    ),
  );
  const ours = secrets.filter((secret) => {
    const segment = secret.name ? names.tenantSegmentOf(secret.name) : undefined;
    return (
      segment !== undefined && (options.tenantSegment === undefined || segment === options.tenantSegment)
    );
  });
  const entries = await mapLimit(ours, LIST_CONCURRENCY, (secret) => listEntry(context, secret));
  const kept = entries.filter(
    (entry): entry is BackendListEntry => entry !== undefined && (options.includeDeleted || !entry.deleted),
  );
  const cursor = next?.pageToken || undefined;
  return cursor ? { entries: kept, cursor } : { entries: kept };
}
