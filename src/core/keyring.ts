/**
 * Key-encryption keys. A `KeyProvider` wraps and unwraps per-record data keys; `LocalKeyring` is
 * the built-in one, holding 32-byte keys from `CREDENTIAL_ENCRYPTION_KEY` (current) and
 * `CREDENTIAL_ENCRYPTION_KEY_PREVIOUS` (older keys kept for decryption). KMS providers implement
 * the same interface.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { ConfigurationError, IntegrityError } from "./errors.js";

/** Wraps data keys under a key-encryption key. Implement it to plug in a KMS. */
export interface KeyProvider {
  /** Id of the key that wraps new data keys. Stored in every ciphertext. */
  readonly currentKeyId: string;
  /** Whether this provider can unwrap data keys wrapped under `keyId`. */
  hasKey(keyId: string): boolean;
  /** Wraps a data key; `context` must be given again, byte for byte, to unwrap it. */
  wrapKey(dataKey: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
  /** Unwraps a data key wrapped under `keyId`. Throws `IntegrityError` if it does not verify. */
  unwrapKey(keyId: string, wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
  /**
   * A new data key for `context` and its wrapped form, under `currentKeyId` (e.g. AWS KMS
   * GenerateDataKey), possibly one handed out before for the same context within the provider's
   * cache bounds. Optional: without it, credkit draws a random key and calls `wrapKey`.
   */
  generateDataKey?(context: Uint8Array): Promise<{ dataKey: Uint8Array; wrapped: Uint8Array }>;
  /**
   * True when the provider caches data keys within bounds of its own (age, uses, entries, wiped
   * on eviction); credkit then keeps no cache of unwrapped keys beside it, so those bounds hold.
   */
  readonly cachesDataKeys?: boolean;
  /**
   * Proves the key is reachable and usable now (a KMS round trip past every cache); throws the
   * typed failure. Optional: `verifyKeys()` calls it when present.
   */
  check?(): Promise<void>;
  /**
   * A keyed fingerprint (e.g. a truncated HMAC-SHA-256 under a key only the provider holds) of
   * `input`. credkit passes a canonical encoding of (tenantId, connectionId, field, value), so the
   * same value gives different fingerprints for different tenants, connections and fields.
   * Optional: a provider without it (one that cannot compute a keyed MAC locally) gets no
   * fingerprints at all — never an unkeyed hash, which would let anyone holding the metadata test
   * guesses of low-entropy values.
   */
  fingerprint?(input: string): string;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** How to make a key, shown whenever one is refused. */
export const KEY_GENERATION_HINT =
  "Generate one with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\"";

/**
 * Parses a 32-byte key given as 64 hex characters or as base64/base64url. Refuses anything else
 * with a message that names `source` and shows how to generate a key, never the value itself.
 */
export function parseKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (decoded.length === KEY_BYTES) return decoded;
  }
  throw new ConfigurationError(
    `${source} must be exactly 32 bytes, written as 64 hex characters or 44 base64 characters. ${KEY_GENERATION_HINT}`,
    { missing: [source] },
  );
}

/** A short, stable id for a key: "k" + 8 hex characters of a digest of it. */
export function keyIdOf(key: Uint8Array): string {
  return `k${createHash("sha256").update("credkit key id\0").update(key).digest("hex").slice(0, 8)}`;
}

/** A keyring of local 32-byte keys: the first is current, the rest are kept for decryption. */
export class LocalKeyring implements KeyProvider {
  readonly currentKeyId: string;
  readonly #keys = new Map<string, Buffer>();
  readonly #fingerprintKey: Buffer;

  constructor(current: Uint8Array, previous: readonly Uint8Array[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) {
        throw new ConfigurationError(`Encryption keys must be 32 bytes. ${KEY_GENERATION_HINT}`);
      }
      this.#keys.set(keyIdOf(key), Buffer.from(key));
    }
    this.currentKeyId = keyIdOf(current);
    this.#fingerprintKey = createHmac("sha256", Buffer.from(current))
      .update("credkit fingerprint key")
      .digest();
  }

  /**
   * Reads `CREDENTIAL_ENCRYPTION_KEY` and `CREDENTIAL_ENCRYPTION_KEY_PREVIOUS` (comma-separated)
   * from `env`. Returns undefined when no current key is set.
   */
  static fromEnv(env: Record<string, string | undefined> = process.env): LocalKeyring | undefined {
    const current = env.CREDENTIAL_ENCRYPTION_KEY;
    if (!current) return undefined;
    const previous = (env.CREDENTIAL_ENCRYPTION_KEY_PREVIOUS ?? "")
      .split(",")
      .filter((part) => part.trim() !== "")
      .map((part) => parseKey(part, "CREDENTIAL_ENCRYPTION_KEY_PREVIOUS"));
    return new LocalKeyring(parseKey(current, "CREDENTIAL_ENCRYPTION_KEY"), previous);
  }

  /** Ids of every key in the ring, current first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  hasKey(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  async wrapKey(dataKey: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key(this.currentKeyId), nonce);
    cipher.setAAD(context);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  async unwrapKey(keyId: string, wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    if (wrapped.length !== NONCE_BYTES + KEY_BYTES + TAG_BYTES) {
      throw new IntegrityError("Wrapped data key has the wrong length.");
    }
    const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key(keyId), bytes.subarray(0, NONCE_BYTES));
      decipher.setAAD(context);
      decipher.setAuthTag(bytes.subarray(NONCE_BYTES + KEY_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, NONCE_BYTES + KEY_BYTES)),
        decipher.final(),
      ]);
    } catch (error) {
      if (IntegrityError.isInstance(error)) throw error;
      throw new IntegrityError("Data key failed its integrity check.");
    }
  }

  fingerprint(input: string): string {
    return createHmac("sha256", this.#fingerprintKey).update(input, "utf8").digest("hex").slice(0, 8);
  }

  #key(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new IntegrityError(
        `Ciphertext was encrypted with key ${keyId}, which is not in the keyring. Add the old key to CREDENTIAL_ENCRYPTION_KEY_PREVIOUS.`,
      );
    }
    return key;
  }
}

/**
 * The `encryption` option checked: a `KeyProvider`, or the literal `false` that turns
 * application encryption off. Anything else — missing, `null`, `0`, `NaN`, `""`, `true`, an object
 * that is not a provider — is a `ConfigurationError`, so a missing setting never stores plaintext.
 */
export function requireEncryption(value: unknown, option = "encryption"): KeyProvider | false {
  if (value === false) return false;
  const provider = value as Partial<KeyProvider> | null;
  if (
    typeof provider === "object" &&
    provider !== null &&
    typeof provider.currentKeyId === "string" &&
    typeof provider.wrapKey === "function" &&
    typeof provider.unwrapKey === "function" &&
    typeof provider.hasKey === "function"
  ) {
    return provider as KeyProvider;
  }
  throw new ConfigurationError(
    `${option} must be a KeyProvider (e.g. a LocalKeyring) or false to store payloads unencrypted; it was ${describeKind(value)}. ${KEY_GENERATION_HINT}`,
    { missing: [option] },
  );
}

/** The kind of a refused option value, never the value itself. */
function describeKind(value: unknown): string {
  if (value === undefined) return "not given";
  if (value === null) return "null";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : "a number";
  if (typeof value === "object") return "an object that is not a KeyProvider";
  return `a ${typeof value}`;
}
