import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { IntegrityError, NotFoundError } from "../../src/core/errors.js";
import type { KeyProvider } from "../../src/core/keyring.js";
import { keyring } from "../support/fixtures.js";

describe("forTenant", () => {
  it("binds every operation to one tenant and sees nothing of another's", async () => {
    const manager = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
    const acme = manager.forTenant("acme");
    const globex = manager.forTenant("globex");
    await acme.store("openai", { apiKey: "acme-key-value-0001" }, { type: "api_key" });
    await globex.store("openai", { apiKey: "globex-key-value-01" }, { type: "api_key" });
    expect((await acme.get("openai")).apiKey?.reveal()).toBe("acme-key-value-0001");
    expect((await globex.get("openai")).apiKey?.reveal()).toBe("globex-key-value-01");
    await acme.rotate("openai", { apiKey: "acme-key-value-0002" });
    await acme.update("openai", { apiKey: "acme-key-value-0003" }, { ifVersion: 2 });
    expect((await acme.describe("openai")).version).toBe(3);
    expect((await globex.describe("openai")).version).toBe(1);
    expect((await acme.list()).items.map((item) => [item.tenantId, item.connectionId])).toEqual([
      ["acme", "openai"],
    ]);
    const [one, missing] = await acme.getMany([{ connectionId: "openai" }, { connectionId: "anthropic" }]);
    expect(one?.ok && one.credentials.apiKey?.reveal()).toBe("acme-key-value-0003");
    expect(missing?.ok === false && NotFoundError.isInstance(missing.error)).toBe(true);
    await acme.delete("openai");
    expect(NotFoundError.isInstance(await acme.get("openai").catch((e: unknown) => e))).toBe(true);
    expect((await globex.get("openai")).apiKey?.reveal()).toBe("globex-key-value-01");
    await acme.restore("openai");
    expect((await acme.get("openai")).apiKey?.reveal()).toBe("acme-key-value-0003");
    await acme.purge("openai");
    expect((await acme.list({ includeDeleted: true })).items).toEqual([]);
  });
});

/** A stand-in for a KMS: wraps data keys under a key only it holds, bound to the context. */
function fakeKms(): KeyProvider & { wraps: number; unwraps: number } {
  const master = randomBytes(32);
  const provider = {
    currentKeyId: "kms-key-1",
    wraps: 0,
    unwraps: 0,
    hasKey: (keyId: string) => keyId === "kms-key-1",
    async wrapKey(dataKey: Uint8Array, context: Uint8Array) {
      provider.wraps++;
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", master, nonce).setAAD(context);
      return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    },
    async unwrapKey(_keyId: string, wrapped: Uint8Array, context: Uint8Array) {
      provider.unwraps++;
      const bytes = Buffer.from(wrapped);
      const decipher = createDecipheriv("aes-256-gcm", master, bytes.subarray(0, 12)).setAAD(context);
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
      } catch {
        throw new IntegrityError("KMS could not unwrap the data key.");
      }
    },
  };
  return provider;
}

describe("a custom KeyProvider (KMS)", () => {
  it("wraps every record's data key through the provider and reads it back", async () => {
    const backend = memoryBackend({ env: {} });
    const kms = fakeKms();
    const writer = new CredentialManager({ backend, encryption: kms, cache: false });
    const info = await writer.storeCredentials("c", "t", { apiKey: "kms-wrapped-value-1" });
    expect(info.keyId).toBe("kms-key-1");
    expect(kms.wraps).toBe(1);
    // A fresh manager has no data key cached: the read must unwrap through the KMS.
    const reader = new CredentialManager({ backend, encryption: kms, cache: false });
    expect((await reader.getCredentials("c", "t")).apiKey?.reveal()).toBe("kms-wrapped-value-1");
    expect(kms.unwraps).toBe(1);
    // Without a keyed fingerprint the provider gets none (issue 13 item 4), never an unkeyed hash.
    expect(info.fingerprints).toEqual({});
    const other = new CredentialManager({ backend, encryption: fakeKms(), cache: false });
    expect(IntegrityError.isInstance(await other.getCredentials("c", "t").catch((e: unknown) => e))).toBe(
      true,
    );
  });
});
