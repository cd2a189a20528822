/**
 * Writes records the way credkit did before envelope format 2 (format 1: the additional data is
 * the header plus tenant and name only), so tests can prove such records stay readable and move
 * to format 2 through `rewrap()`. Test-only: the library no longer writes format 1.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import type { Backend, RecordMetadata } from "../../src/core/backend.js";
import { contextBytes } from "../../src/core/envelope.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import type { LocalKeyring } from "../../src/core/keyring.js";

/** A format-1 envelope of `fields` for (tenant, name) under the ring's current key. */
export async function sealFormat1(
  ring: LocalKeyring,
  tenant: string,
  name: string,
  fields: Record<string, string>,
): Promise<string> {
  const context = contextBytes({ tenantId: tenant, connectionId: name });
  const dataKey = randomBytes(32);
  const wrapped = Buffer.from(await ring.wrapKey(dataKey, context));
  const keyId = Buffer.from(ring.currentKeyId, "utf8");
  const header = Buffer.concat([
    Buffer.from([0x43, 0x4b, 1, keyId.length]),
    keyId,
    Buffer.from([wrapped.length >> 8, wrapped.length & 0xff]),
    wrapped,
  ]);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce);
  cipher.setAAD(Buffer.concat([header, context]));
  const body = Buffer.concat([cipher.update(JSON.stringify(fields), "utf8"), cipher.final()]);
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()]).toString("base64");
}

/** Stores a format-1 version of (tenant, name) directly through the backend, as old credkit did. */
export async function putFormat1(
  backend: Backend,
  ring: LocalKeyring,
  tenant: string,
  name: string,
  fields: Record<string, string>,
): Promise<number> {
  const now = new Date().toISOString();
  const metadata: RecordMetadata = {
    tenant,
    name,
    type: "custom",
    fingerprints: {},
    keyId: ring.currentKeyId,
    createdAt: now,
    updatedAt: now,
  };
  const key = encodeKey(tenant, name, backend.capabilities.maxKeyLength);
  const value = await sealFormat1(ring, tenant, name, fields);
  return (await backend.put(key, { value, metadata })).version;
}
