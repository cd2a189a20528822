/**
 * How a record is laid out in Secret Manager.
 *
 * - **Version payload**: `{"credkit":1,"value":…,"metadata":…}` as UTF-8 JSON. Each version keeps
 *   its own metadata, so a pinned read returns exactly what was written then.
 * - **Secret annotations** (values of any characters, 16 KiB in all per secret) hold the metadata
 *   of the most recently claimed write, for listing without reading payloads:
 *   `credkit-metadata` (RecordMetadata JSON) and `credkit-version` (its version number), plus
 *   `credkit-claim` (see `index.ts`, the write protocol). When the metadata would not fit, it is
 *   left out and listing reads it from the payload instead.
 */
import type { BackendWrite, RecordMetadata } from "../../core/backend.js";
import { IntegrityError } from "../../core/errors.js";
import { guardMetadata, isRecordMetadata } from "../../kit/record-guard.js";

export const METADATA_ANNOTATION = "credkit-metadata";
export const VERSION_ANNOTATION = "credkit-version";
export const CLAIM_ANNOTATION = "credkit-claim";
/** Secret Manager's limit on a version payload. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Secret Manager's limit on the total size of a secret's annotation keys and values. */
const MAX_ANNOTATION_BYTES = 16 * 1024;
const FORMAT = 1;

/** The payload bytes of a write. */
export function encodePayload(write: BackendWrite): Buffer {
  return Buffer.from(
    JSON.stringify({ credkit: FORMAT, value: write.value, metadata: write.metadata }),
    "utf8",
  );
}

/** Parses payload bytes; anything else than a credkit record is an `IntegrityError`. */
export function decodePayload(data: Uint8Array, source: string): BackendWrite {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
  } catch {
    throw new IntegrityError("A Secret Manager version does not hold a credkit record.", { source });
  }
  const record = parsed as { credkit?: unknown; value?: unknown; metadata?: unknown };
  if (record.credkit !== FORMAT || typeof record.value !== "string") {
    throw new IntegrityError("A Secret Manager version does not hold a credkit record.", { source });
  }
  return {
    value: record.value,
    metadata: guardMetadata(record.metadata, source, "A Secret Manager version"),
  };
}

/** A write in progress: version `version` is being added by the holder of `token` until `expiresAt`. */
export interface Claim {
  readonly version: number;
  readonly token: string;
  readonly expiresAt: number;
}

export function encodeClaim(claim: Claim): string {
  return `${claim.version}:${claim.token}:${claim.expiresAt}`;
}

export function decodeClaim(text: string | undefined): Claim | undefined {
  const match = text ? /^(\d+):([A-Za-z0-9-]+):(\d+)$/.exec(text) : null;
  if (!match) return undefined;
  return { version: Number(match[1]), token: match[2] as string, expiresAt: Number(match[3]) };
}

function annotationBytes(annotations: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    total += Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8");
  }
  return total;
}

/**
 * The annotations of a secret when `claim` is taken for a write of `metadata`: other annotations
 * are kept; the metadata is left out when it would break the 16 KiB limit.
 */
export function claimAnnotations(
  existing: Readonly<Record<string, string>>,
  metadata: RecordMetadata,
  claim: Claim,
): Record<string, string> {
  const annotations: Record<string, string> = { ...existing };
  delete annotations[METADATA_ANNOTATION];
  annotations[VERSION_ANNOTATION] = String(claim.version);
  annotations[CLAIM_ANNOTATION] = encodeClaim(claim);
  const withMetadata = { ...annotations, [METADATA_ANNOTATION]: JSON.stringify(metadata) };
  return annotationBytes(withMetadata) <= MAX_ANNOTATION_BYTES ? withMetadata : annotations;
}

/** The metadata kept in annotations and the version it belongs to, when present and well-formed. */
export function annotatedMetadata(
  annotations: Readonly<Record<string, string>> | null | undefined,
): { metadata: RecordMetadata; version: number } | undefined {
  const text = annotations?.[METADATA_ANNOTATION];
  const version = Number(annotations?.[VERSION_ANNOTATION]);
  if (!text || !Number.isInteger(version)) return undefined;
  try {
    const metadata: unknown = JSON.parse(text);
    return isRecordMetadata(metadata) ? { metadata, version } : undefined;
  } catch {
    return undefined;
  }
}
