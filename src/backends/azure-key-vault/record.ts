/**
 * How a credkit record is laid out in a Key Vault secret version.
 *
 * - The secret value is a JSON envelope `{"v":1,"value":…,"metadata":…}`: the opaque payload and
 *   the full metadata, authoritative on read. `contentType` names that format.
 * - Tags (Key Vault allows 15, each value at most 256 characters) carry what listing needs
 *   without reading values: the tenant segment, the credential type, the credkit version number
 *   with its claim state and claim id, and the metadata JSON in up to 10 chunks. Metadata too
 *   long for the chunks is left out of the tags and read from the value when listing.
 * - `expiresOn` mirrors the credential's `expiresAt`, so the portal and Azure Policy see it.
 */
import type { BackendRecord, BackendWrite, RecordMetadata } from "../../core/backend.js";
import { IntegrityError } from "../../core/errors.js";
import { guardMetadata, isRecordMetadata } from "../../kit/record-guard.js";

/** Content type of every secret credkit writes. */
export const RECORD_CONTENT_TYPE = "application/vnd.credkit.record+json;v=1";

export const TAG_TENANT = "credkit-tenant";
export const TAG_TYPE = "credkit-type";
export const TAG_VERSION = "credkit-version";
export const TAG_STATE = "credkit-state";
export const TAG_CLAIM = "credkit-claim";
const TAG_META = "credkit-meta-";
/** Key Vault's limit on one tag value. */
export const MAX_TAG_VALUE = 256;
/** Tags left for metadata chunks after the five fixed ones (Key Vault allows 15). */
const MAX_META_CHUNKS = 10;

/**
 * A version's place in the numbering protocol (see `claims.ts`): written as `pending`, then
 * `committed` once it has won its number, or `lost` when another writer took the number.
 */
export type ClaimState = "pending" | "committed" | "lost";

export type Tags = Record<string, string>;

/** What the tags say about one secret version. */
export interface VersionTags {
  readonly version: number;
  readonly state: ClaimState;
  readonly claim: string;
  readonly tenantSegment: string;
  /** Metadata from the tags, when it fitted. */
  readonly metadata: RecordMetadata | undefined;
}

/** Splits text into chunks of at most `size` characters without cutting a surrogate pair. */
function chunk(text: string, size: number): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const character of text) {
    if (current.length + character.length > size) {
      chunks.push(current);
      current = "";
    }
    current += character;
  }
  if (current) chunks.push(current);
  return chunks;
}

/** The tags of a new version. */
export function tagsFor(
  tenantSegment: string,
  metadata: RecordMetadata,
  version: number,
  state: ClaimState,
  claim: string,
): Tags {
  const tags: Tags = {
    [TAG_TENANT]: tenantSegment,
    [TAG_TYPE]: metadata.type,
    [TAG_VERSION]: String(version),
    [TAG_STATE]: state,
    [TAG_CLAIM]: claim,
  };
  const chunks = chunk(JSON.stringify(metadata), MAX_TAG_VALUE);
  if (chunks.length <= MAX_META_CHUNKS) {
    for (const [index, part] of chunks.entries()) tags[`${TAG_META}${index}`] = part;
  }
  return tags;
}

/** The same tags with another claim state (Key Vault replaces all tags on update). */
export function withState(tags: Tags, state: ClaimState): Tags {
  return { ...tags, [TAG_STATE]: state };
}

function isState(value: string | undefined): value is ClaimState {
  return value === "pending" || value === "committed" || value === "lost";
}

/** Reads credkit's tags; undefined for a secret version credkit did not write. */
export function readTags(tags: Tags | undefined): VersionTags | undefined {
  if (!tags) return undefined;
  const version = Number(tags[TAG_VERSION]);
  const state = tags[TAG_STATE];
  const tenantSegment = tags[TAG_TENANT];
  if (!Number.isSafeInteger(version) || version < 1 || !isState(state) || tenantSegment === undefined) {
    return undefined;
  }
  let text = "";
  for (let index = 0; tags[`${TAG_META}${index}`] !== undefined; index++) text += tags[`${TAG_META}${index}`];
  let metadata: RecordMetadata | undefined;
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      metadata = isRecordMetadata(parsed) ? parsed : undefined;
    } catch {
      metadata = undefined;
    }
  }
  return { version, state, claim: tags[TAG_CLAIM] ?? "", tenantSegment, metadata };
}

/** The secret value of a write. */
export function encodeValue(write: BackendWrite): string {
  return JSON.stringify({ v: 1, value: write.value, metadata: write.metadata });
}

/** Parses a secret value credkit wrote; `IntegrityError` for anything else. */
export function decodeValue(
  value: string | undefined,
  contentType: string | undefined,
  version: number,
): BackendRecord {
  if (contentType !== RECORD_CONTENT_TYPE || value === undefined) {
    throw new IntegrityError("A Key Vault secret in credkit's namespace is not a credkit record.", {
      source: "azure",
    });
  }
  let parsed: { v?: unknown; value?: unknown; metadata?: unknown };
  try {
    parsed = JSON.parse(value) as typeof parsed;
  } catch {
    throw new IntegrityError("A Key Vault secret holds a malformed credkit record.", { source: "azure" });
  }
  if (parsed.v !== 1 || typeof parsed.value !== "string") {
    throw new IntegrityError("A Key Vault secret holds a malformed credkit record.", { source: "azure" });
  }
  return {
    value: parsed.value,
    metadata: guardMetadata(parsed.metadata, "azure", "A Key Vault secret"),
    version,
  };
}
