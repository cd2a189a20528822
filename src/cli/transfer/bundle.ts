/**
 * The encrypted export bundle, for moving credentials between machines: the export text sealed
 * with AES-256-GCM under a key derived from a passphrase with scrypt (random salt, parameters
 * stored in the bundle). A wrong passphrase or an edited bundle fails as `IntegrityError`.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { IntegrityError, ValidationError } from "../../core/errors.js";

/** The `format` marker of a bundle. */
export const BUNDLE_FORMAT = "credkit-bundle";
const BUNDLE_VERSION = 1;
/** scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB). */
const KDF = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAX_MEMORY = 64 * 1024 * 1024;

/** A bundle as stored (JSON). */
interface Bundle {
  format: typeof BUNDLE_FORMAT;
  version: number;
  /** Format of the sealed text: json, ndjson or env. */
  content: string;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: "aes-256-gcm";
  nonce: string;
  tag: string;
  ciphertext: string;
}

function deriveKey(
  passphrase: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, { ...params, maxmem: MAX_MEMORY }, (error, key) =>
      error
        ? reject(new ValidationError("The bundle's key derivation parameters are not usable.", "kdf"))
        : resolve(key),
    );
  });
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8)
    throw new ValidationError("The bundle passphrase must be at least 8 characters.", "passphrase");
}

/** Seals `text` (export output in format `content`) into a bundle's JSON. */
export async function sealBundle(text: string, content: string, passphrase: string): Promise<string> {
  checkPassphrase(passphrase);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const key = await deriveKey(passphrase, salt, KDF);
  const header = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, content } as const;
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(JSON.stringify(header)));
  const ciphertext = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  const bundle: Bundle = {
    ...header,
    kdf: { name: "scrypt", ...KDF, salt: salt.toString("base64") },
    cipher: "aes-256-gcm",
    nonce: nonce.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    ciphertext: ciphertext.toString("base64"),
  };
  return `${JSON.stringify(bundle)}\n`;
}

/** Whether `text` is a bundle (rather than plain export output). */
export function isBundle(text: string): boolean {
  return text.trimStart().startsWith("{") && text.includes(`"format":"${BUNDLE_FORMAT}"`);
}

/** Opens a bundle: the sealed text and its format. */
export async function openBundle(
  text: string,
  passphrase: string,
): Promise<{ text: string; content: string }> {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle;
  } catch {
    throw new IntegrityError("The bundle is not valid JSON.");
  }
  if (bundle.format !== BUNDLE_FORMAT || bundle.version !== BUNDLE_VERSION || bundle.kdf?.name !== "scrypt") {
    throw new ValidationError(
      `Unsupported bundle (format ${BUNDLE_FORMAT} version ${BUNDLE_VERSION} expected).`,
      "bundle",
    );
  }
  const { N, r, p, salt } = bundle.kdf;
  const key = await deriveKey(passphrase, Buffer.from(salt, "base64"), { N, r, p });
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(bundle.nonce, "base64"));
    decipher.setAAD(
      Buffer.from(
        JSON.stringify({ format: bundle.format, version: bundle.version, content: bundle.content }),
      ),
    );
    decipher.setAuthTag(Buffer.from(bundle.tag, "base64"));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(bundle.ciphertext, "base64")),
      decipher.final(),
    ]);
    return { text: plain.toString("utf8"), content: bundle.content };
  } catch {
    throw new IntegrityError("The bundle did not decrypt: wrong passphrase, or the bundle was modified.");
  }
}
