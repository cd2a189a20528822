/**
 * How credentials sit in a KV namespace. For a backend key id `<id>` and the prefix (default
 * `credkit/`):
 *
 *   <prefix>c/<id>               the head: the latest version, its number, a revision stamp and
 *                                the deleted flag; KV metadata holds a listing index
 *   <prefix>v/<id>/<0000000007>  one key per version, so a pinned version can be read
 *
 * Every value is a self-contained JSON record (payload and `RecordMetadata`), so a read needs
 * no second request. KV metadata (at most 1024 bytes) is only an index for listing: the version,
 * revision, deleted flag and, when it fits, the whole `RecordMetadata`; when it does not (long
 * tenant or credential ids, many fields), the compact form leaves it out and listing reads those
 * heads instead.
 */
import type { RecordMetadata } from "../../core/backend.js";
import { IntegrityError, ValidationError } from "../../core/errors.js";
import { isRecordMetadata } from "../../kit/record-guard.js";
import { NAME } from "./errors.js";

/** KV's key limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 512;
/** KV's metadata limit, in bytes of serialised JSON. */
export const MAX_METADATA_BYTES = 1024;
/** @default prefix of every key credkit writes */
export const DEFAULT_PREFIX = "credkit/";

const HEADS = "c/";
const VERSIONS = "v/";
const VERSION_DIGITS = 10;
/** What a version key adds to an id: `v/`, `/` and ten digits. */
const VERSION_OVERHEAD = VERSIONS.length + 1 + VERSION_DIGITS;
const FORMAT = 1;

const encoder = new TextEncoder();
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** Key names for one prefix. */
export interface KeyLayout {
  readonly prefix: string;
  /** The longest backend key id whose every KV key stays within 512 bytes. */
  readonly maxKeyLength: number;
  head(id: string): string;
  version(id: string, version: number): string;
  /** Prefix of every version key of one credential. */
  versions(id: string): string;
  /** Prefix of the heads of one tenant (its `tenantSegment`), or of every tenant. */
  heads(tenantSegment?: string): string;
}

export function keyLayout(prefix: string): KeyLayout {
  const maxKeyLength = MAX_KEY_BYTES - byteLength(prefix) - VERSION_OVERHEAD;
  return {
    prefix,
    maxKeyLength,
    head: (id) => `${prefix}${HEADS}${id}`,
    version: (id, version) => `${prefix}${VERSIONS}${id}/${String(version).padStart(VERSION_DIGITS, "0")}`,
    versions: (id) => `${prefix}${VERSIONS}${id}/`,
    heads: (tenantSegment) => `${prefix}${HEADS}${tenantSegment === undefined ? "" : `${tenantSegment}--`}`,
  };
}

/** One stored version: `<prefix>v/<id>/<n>`. */
export interface StoredVersion {
  readonly f: typeof FORMAT;
  readonly version: number;
  readonly metadata: RecordMetadata;
  readonly value: string;
}

/** The head: `<prefix>c/<id>`. `rev` orders head states (see recent.ts). */
export interface StoredHead extends StoredVersion {
  readonly rev: number;
  readonly deleted: boolean;
}

/** Parses a stored value; anything else is tampering or a foreign key under our prefix. */
export function parseStored(text: string, kind: "head"): StoredHead;
export function parseStored(text: string, kind: "version"): StoredVersion;
export function parseStored(text: string, kind: "head" | "version"): StoredVersion | StoredHead {
  let parsed: Partial<StoredHead>;
  try {
    parsed = JSON.parse(text) as Partial<StoredHead>;
  } catch {
    throw new IntegrityError(`A stored KV ${kind} is not valid JSON.`, { source: NAME });
  }
  const valid =
    typeof parsed === "object" &&
    parsed !== null &&
    parsed.f === FORMAT &&
    Number.isInteger(parsed.version) &&
    typeof parsed.value === "string" &&
    isRecordMetadata(parsed.metadata) &&
    (kind === "version" || (typeof parsed.rev === "number" && typeof parsed.deleted === "boolean"));
  if (!valid) throw new IntegrityError(`A stored KV ${kind} is not a credkit record.`, { source: NAME });
  return parsed as StoredHead;
}

export function storedVersion(version: number, metadata: RecordMetadata, value: string): StoredVersion {
  return { f: FORMAT, version, metadata, value };
}

/** The listing index kept in a head's KV metadata. `m` is absent in the compact form. */
export interface HeadIndex {
  /** Latest version. */
  readonly v: number;
  /** Revision stamp. */
  readonly r: number;
  /** 1 when soft-deleted. */
  readonly d?: 1 | undefined;
  /** The record's metadata, when it fits in 1024 bytes with the rest. */
  readonly m?: RecordMetadata | undefined;
}

export function headIndex(head: StoredHead): HeadIndex {
  const compact: HeadIndex = { v: head.version, r: head.rev, ...(head.deleted ? { d: 1 } : {}) };
  const full: HeadIndex = { ...compact, m: head.metadata };
  return byteLength(JSON.stringify(full)) <= MAX_METADATA_BYTES ? full : compact;
}

export function parseIndex(value: unknown): HeadIndex | undefined {
  const index = value as HeadIndex | null | undefined;
  if (typeof index !== "object" || index === null || !Number.isInteger(index.v)) return undefined;
  return index.m === undefined || isRecordMetadata(index.m) ? index : undefined;
}

/** Our listing cursor: KV's cursor of a page and how many of its keys were already served. */
export interface ListCursor {
  readonly kv?: string | undefined;
  readonly skip: number;
}

export function encodeCursor(cursor: ListCursor): string {
  return btoa(JSON.stringify(cursor)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(text: string | undefined): ListCursor {
  if (!text) return { skip: 0 };
  try {
    const parsed = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/"))) as Partial<ListCursor>;
    const skip = parsed.skip;
    if (typeof skip === "number" && Number.isInteger(skip) && skip >= 0) {
      if (parsed.kv === undefined) return { skip };
      if (typeof parsed.kv === "string") return { kv: parsed.kv, skip };
    }
  } catch {
    // falls through to the error below
  }
  throw new ValidationError("The list cursor is not one this backend returned.", "cursor", { source: NAME });
}
