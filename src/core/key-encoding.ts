/**
 * The injective mapping (tenantId, connectionId) → backend key.
 *
 * Each component is escaped into `[a-z0-9]` plus `-hh` escapes (lowercase hex of each UTF-8
 * byte; `-uhhhh` for a lone surrogate; `-z` for the empty string), so keys are valid and
 * case-insensitively distinct on every backend (Azure Key Vault names are case-insensitive, and
 * so are some file systems). The two components are joined with
 * `--`, which an escaped component never contains, and an escaped component never ends in `-`,
 * so the split is unambiguous. A component too long for the backend's limit is replaced by
 * `-h` + a SHA-256 digest; `-h` cannot start an escape, so hashed and escaped forms never meet.
 * The core stores both ids in every record's metadata and checks them on read, so even a
 * digest collision is detected rather than served.
 */
import { createHash } from "node:crypto";

/** A backend key: the caller's ids and their encoded forms. */
export interface BackendKey {
  /** The tenant id exactly as the caller gave it. */
  readonly tenantId: string;
  /** The connection id (the credential's name) exactly as the caller gave it. */
  readonly connectionId: string;
  /** The encoded tenant id: `[a-z0-9-]`, never containing `--`. */
  readonly tenantSegment: string;
  /** The encoded connection id: `[a-z0-9-]`, never containing `--`. */
  readonly connectionSegment: string;
  /** `tenantSegment + "--" + connectionSegment`: the flat key for stores without folders. */
  readonly id: string;
}

/** Separator between the tenant and connection segments in `BackendKey.id`. */
export const KEY_SEPARATOR = "--";
const HASH_MARK = "-h";
/** The segment of an empty id: never produced by escaping, so folders never get an empty name. */
const EMPTY_SEGMENT = "-z";
/** Hex characters of SHA-256 kept for a hashed component (160 bits). */
const HASH_HEX_LENGTH = 40;
const HASHED_LENGTH = HASH_MARK.length + HASH_HEX_LENGTH;
/** A tenant segment longer than this is hashed, so a tenant's prefix never depends on a name. */
const MAX_TENANT_SEGMENT = 64;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/** Marks a lone surrogate (`-u` + 4 hex): UTF-8 cannot carry one, so it gets an escape of its own. */
const SURROGATE_MARK = "-u";
const SAFE = /^[a-z0-9]+$/;
const UNSAFE = /[^a-z0-9]/gu;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  if (character.length === 1 && code < 0x80) return `-${HEX[code]}`;
  if (character.length === 1 && code >= 0xd800 && code <= 0xdfff) {
    return SURROGATE_MARK + code.toString(16);
  }
  let escaped = "";
  for (const byte of Buffer.from(character, "utf8")) escaped += `-${HEX[byte]}`;
  return escaped;
}

/**
 * Escapes a string into `[a-z0-9]` with `-hh` escapes (each UTF-8 byte), `-uhhhh` (a lone
 * surrogate) and `-z` (the empty string). Injective for every JavaScript string.
 */
export function escapeComponent(value: string): string {
  if (value === "") return EMPTY_SEGMENT;
  return SAFE.test(value) ? value : value.replace(UNSAFE, escapeCharacter);
}

/** Reverses `escapeComponent`; undefined for a hashed or malformed segment. */
export function unescapeComponent(segment: string): string | undefined {
  if (segment === EMPTY_SEGMENT) return "";
  if (segment.startsWith(HASH_MARK)) return undefined;
  let result = "";
  let bytes: number[] = [];
  const flush = () => {
    result += Buffer.from(bytes).toString("utf8");
    bytes = [];
  };
  for (let index = 0; index < segment.length; index++) {
    const character = segment[index] as string;
    if (segment.startsWith(SURROGATE_MARK, index)) {
      const hex = segment.slice(index + 2, index + 6);
      if (!/^d[89a-f][0-9a-f]{2}$/.test(hex)) return undefined;
      flush();
      result += String.fromCharCode(Number.parseInt(hex, 16));
      index += 5;
    } else if (character === "-") {
      const hex = segment.slice(index + 1, index + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (/[a-z0-9]/.test(character)) {
      bytes.push(character.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  flush();
  return result;
}

/**
 * Hashes the escaped form, which (unlike UTF-8) is injective for lone surrogates too. `kind`
 * ("tenant" or "name") is part of the hashed bytes, so it is part of every stored key.
 */
function hashComponent(kind: string, escaped: string): string {
  const digest = createHash("sha256").update(`${kind}\0${escaped}`, "utf8").digest("hex");
  return HASH_MARK + digest.slice(0, HASH_HEX_LENGTH);
}

/** The encoded tenant segment, identical for every connection id of that tenant. */
export function encodeTenantId(tenantId: string): string {
  const escaped = escapeComponent(tenantId);
  return escaped.length <= MAX_TENANT_SEGMENT ? escaped : hashComponent("tenant", escaped);
}

/**
 * Encodes (tenantId, connectionId) for a backend whose keys may be at most `maxLength` characters (after
 * the backend's own prefix). Throws a `RangeError` when `maxLength` is too small for any key.
 */
export function encodeKey(tenantId: string, connectionId: string, maxLength: number): BackendKey {
  const tenantSegment = encodeTenantId(tenantId);
  const budget = maxLength - tenantSegment.length - KEY_SEPARATOR.length;
  if (budget < HASHED_LENGTH) {
    throw new RangeError(`maxLength ${maxLength} leaves no room for a credential name`);
  }
  const escaped = escapeComponent(connectionId);
  const connectionSegment = escaped.length <= budget ? escaped : hashComponent("name", escaped);
  return {
    tenantId,
    connectionId,
    tenantSegment,
    connectionSegment,
    id: tenantSegment + KEY_SEPARATOR + connectionSegment,
  };
}

/** The smallest `maxLength` a backend may declare: the longest tenant segment and a hashed connection segment. */
export const MIN_KEY_LENGTH = MAX_TENANT_SEGMENT + KEY_SEPARATOR.length + HASHED_LENGTH;
