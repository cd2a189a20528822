/**
 * Envelope encryption of credential payloads.
 *
 * Each record gets a fresh 32-byte data key; the payload is sealed with AES-256-GCM under it and
 * a random 12-byte nonce, and the data key is wrapped by the `KeyProvider`'s current key (the
 * wrap is bound to tenant and name). The result is one base64 string:
 *
 *   "CK" | format | keyId length (u8) | keyId | wrapped length (u16) | wrapped key | nonce | body | tag
 *
 * Format 2 (written now): the additional authenticated data is the header (everything before the
 * nonce) plus the record's binding — tenant, name, version number, type, createdAt, expiresAt
 * (or its absence) and the key id the metadata names. A tampered header, a truncated blob, a blob
 * copied onto another record or another version, an edited or removed expiry, a changed type or
 * the wrong key all fail as `IntegrityError`, never as garbage.
 *
 * Format 1 (read only): the additional data is the header plus tenant and name. Such records stay
 * readable and move to format 2 through `rewrap()`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { ConfigurationError, IntegrityError } from "./errors.js";
import type { KeyProvider } from "./keyring.js";

const MAGIC = [0x43, 0x4b]; // "CK"
/** Format written by `seal`. */
export const ENVELOPE_FORMAT = 2;
const LEGACY_FORMAT = 1;
/** Longest key id the header can carry (one length byte). */
export const MAX_KEY_ID_BYTES = 255;
const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PLAIN_PREFIX = "plain:";
const DATA_KEY_CACHE_SIZE = 1024;

/** Where a payload belongs: the data key's wrap is bound to it. */
export interface RecordContext {
  readonly tenantId: string;
  readonly connectionId: string;
}

/** Everything a format-2 ciphertext is bound to besides its header. */
export interface RecordBinding extends RecordContext {
  /** The version number the record is stored as. */
  readonly version: number;
  /** The credential type. */
  readonly type: string;
  /** ISO time the credential was first stored (bound as epoch milliseconds). */
  readonly createdAt: string;
  /** ISO expiry, or undefined for none (its absence is bound too). */
  readonly expiresAt?: string | undefined;
}

/** What `open` checks a stored payload against: the binding plus the key id its metadata names. */
export interface StoredBinding extends RecordBinding {
  readonly keyId: string | null;
}

/** Turns credential fields into the opaque string a backend stores, and back. */
export interface PayloadCodec {
  /** Key id new payloads are sealed with; null when encryption is off. */
  readonly keyId: string | null;
  /** Seals `fields` for the record `binding` describes, in the current format, under the current key. */
  seal(binding: RecordBinding, fields: Record<string, string>): Promise<string>;
  /** Opens a payload, verifying it against the record it was read from. */
  open(binding: StoredBinding, value: string): Promise<Record<string, string>>;
  /** Key id a stored payload was sealed with (null for plain ones), without opening it. */
  keyIdOf(value: string): string | null;
  /** Whether a stored payload is in the current format under the current key (nothing to rewrap). */
  isCurrent(value: string): boolean;
}

/** The context bytes: a label, then the tenant id and the connection id, each with a 4-byte length. */
export function contextBytes(context: RecordContext): Buffer {
  const tenantId = Buffer.from(context.tenantId, "utf8");
  const connectionId = Buffer.from(context.connectionId, "utf8");
  const label = Buffer.from("credkit/1\0", "utf8");
  const bytes = Buffer.alloc(label.length + 8 + tenantId.length + connectionId.length);
  label.copy(bytes, 0);
  bytes.writeUInt32BE(tenantId.length, label.length);
  tenantId.copy(bytes, label.length + 4);
  bytes.writeUInt32BE(connectionId.length, label.length + 4 + tenantId.length);
  connectionId.copy(bytes, label.length + 8 + tenantId.length);
  return bytes;
}

const BINDING_LABEL = Buffer.from("credkit/2\0", "utf8");

/** Recently canonicalised times: a record's times repeat on every read of it. */
const canonicalTimes = new Map<string, string>();
const CANONICAL_TIMES_KEPT = 1024;

/** Epoch milliseconds of an ISO time, so equal instants bind equally whatever their spelling. */
function canonicalTime(text: string): string {
  let canonical = canonicalTimes.get(text);
  if (canonical === undefined) {
    const ms = Date.parse(text);
    canonical = Number.isNaN(ms) ? `unparsed:${text}` : String(ms);
    if (canonicalTimes.size >= CANONICAL_TIMES_KEPT) canonicalTimes.clear();
    canonicalTimes.set(text, canonical);
  }
  return canonical;
}

/** True when every character of `text` is ASCII: its UTF-8 form is then one byte per character. */
function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

/**
 * Writes `text` as UTF-8 at `offset` and returns the bytes written. ASCII (ids, versions, times,
 * key ids: nearly every part) is copied byte by byte without a call into the runtime, which
 * costs more than the copy for strings this short.
 */
function writeUtf8(bytes: Buffer, text: string, ascii: boolean, offset: number): number {
  if (!ascii) return bytes.write(text, offset, "utf8");
  for (let index = 0; index < text.length; index++) bytes[offset + index] = text.charCodeAt(index);
  return text.length;
}

/**
 * The format-2 binding bytes: a label, then tenant, name, version, type, createdAt, expiresAt and
 * key id, each as a 4-byte length and UTF-8 bytes (length 0xFFFFFFFF for an absent value).
 * `prefix` (the envelope header) is written first, so the AAD is built in one allocation.
 */
export function bindingBytes(binding: StoredBinding, prefix?: Uint8Array): Buffer {
  const parts = [
    binding.tenantId,
    binding.connectionId,
    String(binding.version),
    binding.type,
    canonicalTime(binding.createdAt),
    binding.expiresAt === undefined ? null : canonicalTime(binding.expiresAt),
    binding.keyId,
  ];
  const start = prefix?.length ?? 0;
  let length = start + BINDING_LABEL.length + 4 * parts.length;
  const ascii: boolean[] = [];
  for (const part of parts) {
    ascii.push(part === null || isAscii(part));
    if (part !== null) length += ascii[ascii.length - 1] ? part.length : Buffer.byteLength(part, "utf8");
  }
  const bytes = Buffer.allocUnsafe(length);
  if (prefix) bytes.set(prefix, 0);
  bytes.set(BINDING_LABEL, start);
  let offset = start + BINDING_LABEL.length;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] as string | null;
    if (part === null) {
      offset = bytes.writeUInt32BE(0xffffffff, offset);
      continue;
    }
    const written = writeUtf8(bytes, part, ascii[index] as boolean, offset + 4);
    bytes.writeUInt32BE(written, offset);
    offset += 4 + written;
  }
  return bytes;
}

function parseFields(json: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new IntegrityError("Decrypted payload is not a credential object.");
  }
  for (const value of Object.values(parsed)) {
    if (typeof value !== "string") throw new IntegrityError("Decrypted payload is malformed.");
  }
  return parsed as Record<string, string>;
}

/**
 * The data-key cache key of an envelope: the base64 characters covering its header (format, key
 * id, wrapped data key). Slicing the stored string is cheaper than re-encoding the wrapped key.
 */
function dataKeyCacheKey(value: string, headerBytes: number): string {
  return value.slice(0, Math.ceil(headerBytes / 3) * 4);
}

interface ParsedEnvelope {
  format: number;
  /** The decoded envelope; the parts below are its ranges, cut out only where a call needs them. */
  bytes: Buffer;
  keyId: string;
  /** Where the wrapped data key begins; it ends where the header does. */
  wrappedStart: number;
  /** Where the header (format, key id, wrapped data key) ends and the nonce begins. */
  headerEnd: number;
}

function parseEnvelope(value: string): ParsedEnvelope {
  const bytes = Buffer.from(value, "base64");
  const truncated = () => new IntegrityError("Ciphertext is truncated or not a credkit envelope.");
  if (bytes.length < 6 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) throw truncated();
  const format = bytes[2] as number;
  if (format !== ENVELOPE_FORMAT && format !== LEGACY_FORMAT) {
    throw new IntegrityError(`Unsupported ciphertext format version ${format}.`);
  }
  const keyIdEnd = 4 + (bytes[3] as number);
  if (bytes.length < keyIdEnd + 2) throw truncated();
  const wrappedStart = keyIdEnd + 2;
  const headerEnd = wrappedStart + bytes.readUInt16BE(keyIdEnd);
  if (bytes.length < headerEnd + NONCE_BYTES + TAG_BYTES) throw truncated();
  return { format, bytes, keyId: bytes.toString("utf8", 4, keyIdEnd), wrappedStart, headerEnd };
}

/** AES-256-GCM envelope encryption under a `KeyProvider`. */
export class EnvelopeCodec implements PayloadCodec {
  readonly #provider: KeyProvider;
  /**
   * Unwrapped data keys by wrapped bytes: an uncached read then costs one AES-GCM, not two. None
   * when the provider caches data keys within bounds of its own (a KMS), so those bounds hold.
   */
  readonly #dataKeys: LRUCache<string, Uint8Array> | undefined;

  constructor(provider: KeyProvider) {
    this.#provider = provider;
    this.#dataKeys = provider.cachesDataKeys
      ? undefined
      : new LRUCache<string, Uint8Array>({ max: DATA_KEY_CACHE_SIZE });
  }

  get keyId(): string {
    return this.#provider.currentKeyId;
  }

  async seal(binding: RecordBinding, fields: Record<string, string>): Promise<string> {
    const keyIdText = this.#provider.currentKeyId;
    const keyId = Buffer.from(keyIdText, "utf8");
    if (keyId.length > MAX_KEY_ID_BYTES) {
      throw new ConfigurationError(
        `The KeyProvider's currentKeyId is ${keyId.length} bytes; key ids are limited to ${MAX_KEY_ID_BYTES} bytes.`,
      );
    }
    const { dataKey, wrapped } = await this.#dataKey(contextBytes(binding));
    if (wrapped.length > 0xffff) {
      throw new ConfigurationError("The KeyProvider returned a wrapped data key over 65,535 bytes.");
    }
    const header = Buffer.alloc(4 + keyId.length + 2 + wrapped.length);
    header[0] = MAGIC[0] as number;
    header[1] = MAGIC[1] as number;
    header[2] = ENVELOPE_FORMAT;
    header[3] = keyId.length;
    keyId.copy(header, 4);
    header.writeUInt16BE(wrapped.length, 4 + keyId.length);
    wrapped.copy(header, 6 + keyId.length);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", dataKey, nonce);
    cipher.setAAD(bindingBytes({ ...binding, keyId: keyIdText }, header));
    const body = Buffer.concat([cipher.update(JSON.stringify(fields), "utf8"), cipher.final()]);
    const sealed = Buffer.concat([header, nonce, body, cipher.getAuthTag()]).toString("base64");
    this.#dataKeys?.set(dataKeyCacheKey(sealed, header.length), dataKey);
    return sealed;
  }

  /** A data key for a new envelope and its wrapped form, from the provider. */
  async #dataKey(context: Uint8Array): Promise<{ dataKey: Uint8Array; wrapped: Buffer }> {
    if (this.#provider.generateDataKey) {
      const generated = await this.#provider.generateDataKey(context);
      return { dataKey: generated.dataKey, wrapped: Buffer.from(generated.wrapped) };
    }
    const dataKey = randomBytes(DATA_KEY_BYTES);
    return { dataKey, wrapped: Buffer.from(await this.#provider.wrapKey(dataKey, context)) };
  }

  async open(binding: StoredBinding, value: string): Promise<Record<string, string>> {
    const { format, bytes, keyId, wrappedStart, headerEnd } = parseEnvelope(value);
    const cacheKey = dataKeyCacheKey(value, headerEnd);
    let dataKey = this.#dataKeys?.get(cacheKey);
    if (!dataKey) {
      const wrapped = bytes.subarray(wrappedStart, headerEnd);
      dataKey = await this.#provider.unwrapKey(keyId, wrapped, contextBytes(binding));
      this.#dataKeys?.set(cacheKey, dataKey);
    }
    const header = bytes.subarray(0, headerEnd);
    const aad =
      format === LEGACY_FORMAT
        ? Buffer.concat([header, contextBytes(binding)])
        : bindingBytes(binding, header);
    const bodyEnd = bytes.length - TAG_BYTES;
    let plaintext: string;
    try {
      const nonce = bytes.subarray(headerEnd, headerEnd + NONCE_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", dataKey, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(bytes.subarray(bodyEnd));
      const body = bytes.subarray(headerEnd + NONCE_BYTES, bodyEnd);
      // why: bytes out, decoded once after the tag is checked: an output encoding on the
      // decipher builds a string decoder per read. GCM gives every byte at update.
      // The decrypted bytes are wiped whether or not the tag verifies; only the string is kept.
      const decrypted = decipher.update(body);
      try {
        decipher.final();
        plaintext = decrypted.toString("utf8");
      } finally {
        decrypted.fill(0);
      }
    } catch {
      throw new IntegrityError(
        "Ciphertext failed its integrity check: it was tampered with, truncated, or belongs to another record, version or metadata.",
      );
    }
    return parseFields(plaintext);
  }

  isCurrent(value: string): boolean {
    const { format, keyId } = parseEnvelope(value);
    return format === ENVELOPE_FORMAT && keyId === this.#provider.currentKeyId;
  }

  keyIdOf(value: string): string | null {
    return parseEnvelope(value).keyId;
  }
}

/** No application encryption: the payload is stored as JSON. Only when explicitly chosen. */
export class PlainCodec implements PayloadCodec {
  readonly keyId = null;

  async seal(_binding: RecordBinding, fields: Record<string, string>): Promise<string> {
    return PLAIN_PREFIX + JSON.stringify(fields);
  }

  async open(_binding: StoredBinding, value: string): Promise<Record<string, string>> {
    if (!value.startsWith(PLAIN_PREFIX)) {
      throw new IntegrityError(
        "Record is encrypted but encryption is turned off; configure the encryption key.",
      );
    }
    try {
      return parseFields(value.slice(PLAIN_PREFIX.length));
    } catch (error) {
      if (IntegrityError.isInstance(error)) throw error;
      throw new IntegrityError("Stored payload is not valid JSON.");
    }
  }

  keyIdOf(value: string): string | null {
    return value.startsWith(PLAIN_PREFIX) ? null : "unknown";
  }

  isCurrent(value: string): boolean {
    return value.startsWith(PLAIN_PREFIX);
  }
}
