/**
 * The built-in per-organisation `X-API-Key` authentication. Keys are stored only as
 * SHA-256 hashes; a presented key is hashed and compared with every stored hash in constant time.
 * Uses Web Crypto only, so it runs wherever the router runs.
 */
import { type Authenticate, refuse } from "./auth.js";

/** One stored key: the organisation it opens and its hash (from `hashApiKey`). */
export interface ApiKeyEntry {
  /** The tenant (organisation) the key acts for. */
  readonly tenantId: string;
  /** `sha256:<hex>` of the key, from `hashApiKey`. Never the key itself. */
  readonly hash: string;
  /** Who acts, recorded on writes. @default `api-key:<tenantId>` */
  readonly actor?: string | undefined;
}

/** Options of `apiKeyAuthentication`. */
export interface ApiKeyAuthenticationOptions {
  /**
   * The stored keys, or a lookup from a presented key's hash to its entry (e.g. a database
   * query); the entry's hash is compared again in constant time.
   */
  keys:
    | readonly ApiKeyEntry[]
    | ((hash: string) => Promise<ApiKeyEntry | undefined> | ApiKeyEntry | undefined);
  /** Header carrying the key. @default "x-api-key" */
  header?: string | undefined;
}

const PREFIX = "sha256:";
const KEY_SHAPE = /^[\x21-\x7e]{16,512}$/;
const CHALLENGE = 'ApiKey header="X-API-Key"';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHash(hash: string): Uint8Array | undefined {
  if (!/^sha256:[0-9a-f]{64}$/.test(hash)) return undefined;
  const bytes = new Uint8Array(32);
  for (let index = 0; index < 32; index++)
    bytes[index] = Number.parseInt(hash.slice(7 + index * 2, 9 + index * 2), 16);
  return bytes;
}

async function digest(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
}

/** Constant-time equality of two 32-byte digests. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ (b[index] ?? 0);
  return difference === 0;
}

/** The hash to store for a key: `sha256:<hex>`. */
export async function hashApiKey(key: string): Promise<string> {
  return PREFIX + hex(await digest(key));
}

/** A new random key (`ck_` + 43 base64url characters) and the hash to store; show the key once. */
export async function generateApiKey(): Promise<{ key: string; hash: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const key = `ck_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
  return { key, hash: await hashApiKey(key) };
}

/** An `authenticate` hook for `createRouter` that accepts the organisations' `X-API-Key`s. */
export function apiKeyAuthentication(options: ApiKeyAuthenticationOptions): Authenticate {
  const header = options.header ?? "x-api-key";
  const stored = Array.isArray(options.keys)
    ? (options.keys as readonly ApiKeyEntry[]).map((entry) => {
        const bytes = fromHash(entry.hash);
        if (!bytes)
          throw new TypeError(`API key entry of tenant "${entry.tenantId}" needs a hash from hashApiKey().`);
        return { entry, bytes };
      })
    : undefined;
  const lookup = typeof options.keys === "function" ? options.keys : undefined;
  return async (request) => {
    const key = request.headers.get(header);
    if (key === null) return refuse(401, `The ${header} header is required.`, CHALLENGE);
    if (!KEY_SHAPE.test(key)) return refuse(401, `The ${header} header is not a valid API key.`, CHALLENGE);
    const presented = await digest(key);
    let found: ApiKeyEntry | undefined;
    if (stored) {
      // Every entry is compared, so the time taken does not tell which one matched.
      for (const { entry, bytes } of stored) if (same(presented, bytes) && !found) found = entry;
    } else if (lookup) {
      const entry = await lookup(PREFIX + hex(presented));
      const bytes = entry && fromHash(entry.hash);
      if (entry && bytes && same(presented, bytes)) found = entry;
    }
    if (!found) return refuse(401, `The ${header} header is not a valid API key.`, CHALLENGE);
    return { tenantId: found.tenantId, actor: found.actor ?? `api-key:${found.tenantId}` };
  };
}
