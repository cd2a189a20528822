/**
 * What one secret version holds: a JSON `SecretString` with the record format, the integer
 * version, the non-secret metadata and the opaque payload (ciphertext when encryption is on).
 * Metadata lives in the value, not in tags or the description: it is per version, can exceed
 * tag limits (256 characters a value), and is written in the same call as the payload.
 */
import type { BackendRecord, BackendWrite, RecordMetadata } from "../../core/backend.js";
import { IntegrityError, ValidationError } from "../../core/errors.js";
import { guardMetadata, guardVersion, isRecordMetadata } from "../../kit/record-guard.js";
import { versionOf } from "./names.js";

/** Format marker of a credkit record. */
const FORMAT = 1;
/** Largest SecretString AWS accepts, in bytes. */
const MAX_SECRET_STRING_BYTES = 65_536;
/** Longest description AWS accepts. */
const MAX_DESCRIPTION = 2048;

interface StoredRecord {
  credkit: number;
  version: number;
  metadata: RecordMetadata;
  value: string;
}

/** The SecretString of version `version`. Throws `ValidationError` beyond AWS's 64 KiB. */
export function encodeRecord(write: BackendWrite, version: number, source: string): string {
  const stored: StoredRecord = { credkit: FORMAT, version, metadata: write.metadata, value: write.value };
  const text = JSON.stringify(stored);
  if (Buffer.byteLength(text, "utf8") > MAX_SECRET_STRING_BYTES) {
    throw new ValidationError(
      `Credential "${write.metadata.name}" is too large for AWS Secrets Manager (64 KiB a secret value, payload and metadata together).`,
      undefined,
      { source },
    );
  }
  return text;
}

/** Reads a version back; anything credkit did not write is an `IntegrityError`. */
export function decodeRecord(
  secretString: string | undefined,
  versionId: string | undefined,
  source: string,
): BackendRecord {
  const fail = (why: string) =>
    new IntegrityError(`A secret version under credkit's prefix is not a credkit record (${why}).`, {
      source,
    });
  if (secretString === undefined) throw fail("no SecretString");
  let parsed: Partial<StoredRecord>;
  try {
    parsed = JSON.parse(secretString) as Partial<StoredRecord>;
  } catch {
    throw fail("not JSON");
  }
  if (parsed.credkit !== FORMAT || typeof parsed.value !== "string") throw fail("unknown format");
  const version = guardVersion(parsed.version, source, "A Secrets Manager version");
  if (versionOf(versionId) !== version) throw fail("version id does not match the stored version");
  return {
    value: parsed.value,
    metadata: guardMetadata(parsed.metadata, source, "A Secrets Manager version"),
    version,
  };
}

/** Metadata kept in the description while a secret is scheduled for deletion (values cannot be read then). */
export function encodeDeletedDescription(metadata: RecordMetadata, version: number): string | undefined {
  const full = JSON.stringify({ credkit: FORMAT, version, metadata });
  if (full.length <= MAX_DESCRIPTION) return full;
  const { fingerprints: _dropped, ...rest } = metadata;
  const slim = JSON.stringify({ credkit: FORMAT, version, metadata: { ...rest, fingerprints: {} } });
  return slim.length <= MAX_DESCRIPTION ? slim : undefined;
}

/** Reads the description written by `encodeDeletedDescription`. */
export function decodeDeletedDescription(
  description: string | undefined,
): { metadata: RecordMetadata; version: number } | undefined {
  if (!description?.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(description) as { credkit?: unknown; version?: unknown; metadata?: unknown };
    if (
      parsed.credkit !== FORMAT ||
      typeof parsed.version !== "number" ||
      !isRecordMetadata(parsed.metadata)
    ) {
      return undefined;
    }
    return { metadata: parsed.metadata, version: parsed.version };
  } catch {
    return undefined;
  }
}
