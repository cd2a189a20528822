/**
 * Where credkit keeps things in KV v2, and how record metadata fits in `custom_metadata`.
 *
 *   <mount>/data/<prefix>/<tenant segment>/<connection segment>      { payload, ref }
 *   <mount>/metadata/<prefix>/<tenant segment>/<connection segment>  custom_metadata: credkit.<ref>.<i>
 *
 * `custom_metadata` belongs to the key, not to a version, and Vault limits it to 64 string
 * values of at most 512 printable bytes. So each version's `RecordMetadata` is written, before
 * the version itself, as an entry named by a `ref` (`<version>.<random>`) in as many 512-byte
 * chunks as it needs; the version's body holds only the payload and that ref. A reader always
 * finds the entry of the version it reads, concurrent writers never overwrite each other's
 * entries (they are merged with PATCH), and entries of versions Vault no longer keeps are pruned.
 */
import { randomBytes } from "node:crypto";
import type { RecordMetadata } from "../../core/backend.js";
import { ConfigurationError, IntegrityError, ValidationError } from "../../core/errors.js";
import { guardMetadata } from "../../kit/record-guard.js";
import { NAME } from "./errors.js";

/** Vault's limits on `custom_metadata` (vault-plugin-secrets-kv `path_metadata.go`). */
const MAX_VALUE_BYTES = 512;
const MAX_KEYS = 64;
/** Keys credkit lets its entries occupy after a write, leaving room for concurrent writers. */
const KEY_BUDGET = 40;
/** Chunks one entry may take: 8 KiB of metadata is far beyond any real record. */
const MAX_ENTRY_CHUNKS = 16;
const ENTRY_PREFIX = "credkit.";
const ENTRY_KEY = /^credkit\.(\d+)\.([0-9a-f]+)\.(\d+)$/;
const PATH_PART = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** What a credkit version's secret body holds. */
export interface VersionBody {
  /** The opaque payload (ciphertext when encryption is on). */
  readonly payload: string;
  /** Names the `custom_metadata` entry with this version's `RecordMetadata`. */
  readonly ref: string;
}

/** A mount or prefix option, checked: `/`-separated parts of `[A-Za-z0-9._-]`. */
export function checkPath(value: string, option: string, allowEmpty: boolean): string {
  const trimmed = value.replace(/^\/+|\/+$/g, "");
  if (trimmed === "" && allowEmpty) return "";
  if (!trimmed.split("/").every((part) => PATH_PART.test(part))) {
    throw new ConfigurationError(
      `The Vault option ${option} must be "/"-separated parts of letters, digits, ".", "_" and "-".`,
      { missing: [option] },
    );
  }
  return trimmed;
}

/** KV paths of one credential. */
export interface RecordPaths {
  /** `<mount>/data/<path>`: read, write, soft delete. */
  readonly data: string;
  /** `<mount>/metadata/<path>`: versions, custom_metadata, purge. */
  readonly metadata: string;
  readonly undelete: string;
  readonly destroy: string;
}

export function recordPaths(
  mount: string,
  prefix: string,
  tenantSegment: string,
  connectionSegment: string,
): RecordPaths {
  const path = `${prefix ? `${prefix}/` : ""}${tenantSegment}/${connectionSegment}`;
  return {
    data: `${mount}/data/${path}`,
    metadata: `${mount}/metadata/${path}`,
    undelete: `${mount}/undelete/${path}`,
    destroy: `${mount}/destroy/${path}`,
  };
}

/** The metadata folder listing tenants (no segment) or one tenant's names. */
export function listPath(mount: string, prefix: string, tenantSegment?: string): string {
  const parts = [prefix, tenantSegment].filter((part) => part);
  return `${mount}/metadata/${parts.join("/")}${parts.length ? "/" : ""}`;
}

/** A fresh ref for the version about to be written. */
export function newRef(version: number): string {
  return `${version}.${randomBytes(6).toString("hex")}`;
}

/** The version a ref was written for. */
function refVersion(ref: string): number {
  return Number.parseInt(ref, 10);
}

/** JSON with every non-ASCII character escaped: Vault refuses unprintable characters. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The `custom_metadata` keys of one entry: the metadata JSON in chunks of at most 512 bytes. */
export function entryOf(ref: string, metadata: RecordMetadata): Record<string, string> {
  const json = asciiJson(metadata);
  const chunks = Math.ceil(json.length / MAX_VALUE_BYTES);
  if (chunks > MAX_ENTRY_CHUNKS) {
    throw new ValidationError(
      `Credential "${metadata.name}": its metadata (${json.length} bytes) does not fit Vault's custom_metadata.`,
      "metadata",
      { source: NAME },
    );
  }
  const entry: Record<string, string> = {};
  for (let index = 0; index < chunks; index++) {
    entry[`${ENTRY_PREFIX}${ref}.${index}`] = json.slice(
      index * MAX_VALUE_BYTES,
      (index + 1) * MAX_VALUE_BYTES,
    );
  }
  return entry;
}

/** Custom metadata as Vault returns it: an object of strings, or null. */
export type CustomMetadata = Readonly<Record<string, string>> | null | undefined;

/** The entries present, by ref, with their chunk counts. */
function entriesIn(custom: CustomMetadata): Map<string, number> {
  const refs = new Map<string, number>();
  for (const name of Object.keys(custom ?? {})) {
    const match = ENTRY_KEY.exec(name);
    if (match) refs.set(`${match[1]}.${match[2]}`, (refs.get(`${match[1]}.${match[2]}`) ?? 0) + 1);
  }
  return refs;
}

/** The refs written for `version` (normally one; more if a writer died between steps). */
export function refsFor(custom: CustomMetadata, version: number): string[] {
  return [...entriesIn(custom).keys()].filter((ref) => refVersion(ref) === version);
}

/** Reads the entry `ref`; undefined when it is not there. Malformed entries are integrity errors. */
export function readEntry(custom: CustomMetadata, ref: string): RecordMetadata | undefined {
  const parts: string[] = [];
  for (let index = 0; ; index++) {
    const chunk = custom?.[`${ENTRY_PREFIX}${ref}.${index}`];
    if (chunk === undefined) break;
    parts.push(chunk);
  }
  if (parts.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(parts.join(""));
  } catch {
    throw new IntegrityError("A Vault custom_metadata entry of credkit is not valid JSON.", { source: NAME });
  }
  return guardMetadata(parsed, NAME, "A Vault custom_metadata entry of credkit");
}

/**
 * The `custom_metadata` patch that removes entries no longer needed before `adding` more keys:
 * entries of versions Vault has dropped (below `oldestVersion`), then, if the key budget is
 * exceeded, the oldest entries below `currentVersion`. Other keys (an operator's) are kept.
 */
export function prunePatch(
  custom: CustomMetadata,
  oldestVersion: number,
  currentVersion: number,
  adding: number,
): Record<string, null> {
  const patch: Record<string, null> = {};
  const drop = (ref: string) => {
    for (const name of Object.keys(custom ?? {})) {
      if (name.startsWith(`${ENTRY_PREFIX}${ref}.`)) patch[name] = null;
    }
  };
  const entries = entriesIn(custom);
  const foreign = Object.keys(custom ?? {}).length - [...entries.values()].reduce((a, b) => a + b, 0);
  let used = foreign + adding;
  const keep: Array<[string, number]> = [];
  for (const [ref, chunks] of entries) {
    if (refVersion(ref) < oldestVersion) drop(ref);
    else keep.push([ref, chunks]);
  }
  for (const [, chunks] of keep) used += chunks;
  const budget = Math.min(KEY_BUDGET, MAX_KEYS);
  for (const [ref, chunks] of keep.sort(([a], [b]) => refVersion(a) - refVersion(b))) {
    if (used <= budget || refVersion(ref) >= currentVersion) break;
    drop(ref);
    used -= chunks;
  }
  return patch;
}

/** The version body, or undefined when the secret was not written by credkit. */
export function parseBody(data: unknown): VersionBody | undefined {
  const body = data as Partial<VersionBody> | null | undefined;
  return typeof body?.payload === "string" && typeof body.ref === "string"
    ? { payload: body.payload, ref: body.ref }
    : undefined;
}
