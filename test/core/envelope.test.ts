import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindingBytes, EnvelopeCodec, PlainCodec, type StoredBinding } from "../../src/core/envelope.js";
import { ConfigurationError, IntegrityError } from "../../src/core/errors.js";
import { KEY_GENERATION_HINT, keyIdOf, LocalKeyring, parseKey } from "../../src/core/keyring.js";
import { assertNoLeak, keyring, TEST_KEY_A, TEST_KEY_B } from "../support/fixtures.js";

const fieldsArbitrary = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name !== "__proto__"),
  fc.string({ unit: "binary", maxLength: 200 }),
  { minKeys: 1, maxKeys: 5 },
);
const KEY_A_ID = keyIdOf(Buffer.from(TEST_KEY_A, "hex"));

/** A full binding of (tenant, name) as version 1 under key A. */
function bound(tenant: string, name: string, extra: Partial<StoredBinding> = {}): StoredBinding {
  return {
    tenantId: tenant,
    connectionId: name,
    version: 1,
    type: "api_key",
    createdAt: "2026-01-01T00:00:00.000Z",
    keyId: KEY_A_ID,
    ...extra,
  };
}

const contextArbitrary = fc
  .record({ tenant: fc.string({ maxLength: 30 }), name: fc.string({ maxLength: 30 }) })
  .map(({ tenant, name }) => bound(tenant, name));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("envelope encryption", () => {
  const codec = new EnvelopeCodec(keyring());

  it("round-trips any fields for any record", async () => {
    await fc.assert(
      fc.asyncProperty(contextArbitrary, fieldsArbitrary, async (context, fields) => {
        const sealed = await codec.seal(context, fields);
        expect({ ...(await codec.open(context, sealed)) }).toEqual(fields);
      }),
      { numRuns: 100 },
    );
  });

  it("uses a fresh nonce and data key each time, and carries the key id", async () => {
    const context = bound("t", "n");
    const a = await codec.seal(context, { apiKey: "same-value" });
    const b = await codec.seal(context, { apiKey: "same-value" });
    expect(a).not.toBe(b);
    expect(codec.keyIdOf(a)).toBe(keyIdOf(Buffer.from(TEST_KEY_A, "hex")));
    expect(Buffer.from(a, "base64").toString("latin1")).not.toContain("same-value");
  });

  it("detects any flipped bit, truncation or extension as IntegrityError", async () => {
    const context = bound("tenant", "name");
    const sealed = Buffer.from(await codec.seal(context, { apiKey: "tamper-target-value" }), "base64");
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length * 8 - 1), async (bit) => {
        const tampered = Buffer.from(sealed);
        tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
        const error = await rejection(codec.open(context, tampered.toString("base64")));
        expect(IntegrityError.isInstance(error)).toBe(true);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), async (length) => {
        const error = await rejection(codec.open(context, sealed.subarray(0, length).toString("base64")));
        expect(IntegrityError.isInstance(error)).toBe(true);
      }),
    );
    const extended = Buffer.concat([sealed, Buffer.from([0])]).toString("base64");
    expect(IntegrityError.isInstance(await rejection(codec.open(context, extended)))).toBe(true);
  });

  it("binds the ciphertext to its tenant and name", async () => {
    const sealed = await codec.seal(bound("alice", "openai"), { apiKey: "bound-value" });
    for (const context of [bound("bob", "openai"), bound("alice", "anthropic"), bound("aliceopenai", "")]) {
      expect(IntegrityError.isInstance(await rejection(codec.open(context, sealed)))).toBe(true);
    }
  });

  it("fails with the wrong key, and names the missing key id", async () => {
    const context = bound("t", "n");
    const sealed = await codec.seal(context, { apiKey: "wrong-key-value" });
    const other = new EnvelopeCodec(keyring(TEST_KEY_B));
    const error = await rejection(other.open(context, sealed));
    expect(IntegrityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(keyIdOf(Buffer.from(TEST_KEY_A, "hex")));
    expect(await new EnvelopeCodec(keyring(TEST_KEY_B, TEST_KEY_A)).open(context, sealed)).toEqual({
      apiKey: "wrong-key-value",
    });
  });

  it("refuses plain payloads when encryption is on, and the reverse", async () => {
    const context = bound("t", "n");
    const plain = await new PlainCodec().seal(context, { apiKey: "plain-value" });
    expect(IntegrityError.isInstance(await rejection(codec.open(context, plain)))).toBe(true);
    const sealed = await codec.seal(context, { apiKey: "sealed-value" });
    expect(IntegrityError.isInstance(await rejection(new PlainCodec().open(context, sealed)))).toBe(true);
  });
});

describe("keys", () => {
  it("accepts exactly 32 bytes as hex, base64 or base64url", () => {
    const key = Buffer.alloc(32, 7);
    expect(parseKey(key.toString("hex"), "K")).toEqual(key);
    expect(parseKey(key.toString("base64"), "K")).toEqual(key);
    expect(parseKey(key.toString("base64url"), "K")).toEqual(key);
  });

  it("refuses anything else with a hint and without echoing the value", () => {
    for (const bad of [
      "short-passphrase",
      Buffer.alloc(31).toString("base64"),
      "z".repeat(64),
      Buffer.alloc(33).toString("hex"),
    ]) {
      let error: unknown;
      try {
        parseKey(bad, "CREDENTIAL_ENCRYPTION_KEY");
      } catch (caught) {
        error = caught;
      }
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain("CREDENTIAL_ENCRYPTION_KEY");
      expect((error as Error).message).toContain(KEY_GENERATION_HINT);
      assertNoLeak(error, bad);
    }
  });

  it("reads the current and previous keys from the environment", () => {
    const ring = LocalKeyring.fromEnv({
      CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_B,
      CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: `${TEST_KEY_A}, ${"c".repeat(64)}`,
    });
    expect(ring?.currentKeyId).toBe(keyIdOf(Buffer.from(TEST_KEY_B, "hex")));
    expect(ring?.keyIds).toHaveLength(3);
    expect(LocalKeyring.fromEnv({})).toBeUndefined();
  });

  it("fingerprints are keyed: same value, different keys, different fingerprints", () => {
    const a = keyring(TEST_KEY_A).fingerprint("value-to-fingerprint");
    const b = keyring(TEST_KEY_B).fingerprint("value-to-fingerprint");
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(keyring(TEST_KEY_A).fingerprint("value-to-fingerprint")).toBe(a);
  });
});

describe("binding bytes (the format-2 AAD)", () => {
  /** The layout written out plainly: label, then each part as a 4-byte length and its UTF-8. */
  function reference(binding: StoredBinding, prefix: Buffer): Buffer {
    const time = (text: string) => String(Date.parse(text));
    const parts = [
      binding.tenantId,
      binding.connectionId,
      String(binding.version),
      binding.type,
      time(binding.createdAt),
      binding.expiresAt === undefined ? null : time(binding.expiresAt),
      binding.keyId,
    ];
    const encoded = parts.map((part) => {
      const length = Buffer.alloc(4);
      if (part === null) return length.fill(0xff);
      const bytes = Buffer.from(part, "utf8");
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    });
    return Buffer.concat([prefix, Buffer.from("credkit/2\0", "utf8"), ...encoded]);
  }

  it("are the documented layout for any ids, ASCII or not, with or without expiry and key id", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 40 });
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.option(fc.constant("2027-03-04T05:06:07.000Z"), { nil: undefined }),
        fc.option(text, { nil: null }),
        fc.uint8Array({ maxLength: 40 }),
        (tenantId, connectionId, type, expiresAt, keyId, prefix) => {
          const binding: StoredBinding = {
            ...bound(tenantId, connectionId, { type, keyId }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
          };
          expect(bindingBytes(binding, prefix)).toEqual(reference(binding, Buffer.from(prefix)));
        },
      ),
    );
  });
});
