import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConfigurationError } from "../../src/core/errors.js";
import type { KeyProvider } from "../../src/core/keyring.js";
import { keyring, rejection, TEST_KEY_A, TEST_KEY_B } from "../support/fixtures.js";

describe("issue 13 item 1: only a literal false turns encryption off", () => {
  it("null, 0, NaN, a string that is no key and a missing option are ConfigurationError, even outside production", async () => {
    for (const encryptionKey of [null, 0, Number.NaN, {}, "short"]) {
      const error = await rejection(
        createCredentialManager({ backend: memoryBackend(), encryptionKey: encryptionKey as never, env: {} }),
      );
      expect(ConfigurationError.isInstance(error), String(encryptionKey)).toBe(true);
    }
    expect(() => new CredentialManager({ backend: memoryBackend() } as never)).toThrow(ConfigurationError);
    expect(() => new CredentialManager({ backend: memoryBackend(), encryption: null } as never)).toThrow(
      ConfigurationError,
    );
  });

  it("false stores unencrypted, as asked", async () => {
    const backend = memoryBackend();
    const manager = new CredentialManager({ backend, encryption: false });
    await manager.storeCredentials("c", "t", { apiKey: "plain-by-choice-1" });
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("plain-by-choice-1");
  });
});

/** Two versions of `live` and a soft-deleted `gone`, all under key A. */
async function storeUnderKeyA(backend = memoryBackend()) {
  const manager = new CredentialManager({ backend, encryption: keyring(TEST_KEY_A), cache: false });
  await manager.storeCredentials("live", "t", { apiKey: "live-version-one" });
  await manager.rotateCredentials("live", "t", { apiKey: "live-version-two" });
  await manager.storeCredentials("gone", "t", { apiKey: "deleted-but-restorable" });
  await manager.deleteCredentials("gone", "t");
  for (let index = 0; index < 3; index++)
    await manager.storeCredentials(`extra-${index}`, "t", { apiKey: `x-${index}` });
  return backend;
}

describe("issue 13 item 3: rewrap moves every version and deleted record; verifyKeys finds a missing key", () => {
  it("after rewrap and dropping the old key, pinned reads and restored credentials still open", async () => {
    const backend = await storeUnderKeyA();
    const onlyB = new CredentialManager({ backend, encryption: keyring(TEST_KEY_B), cache: false });
    const before = await onlyB.verifyKeys();
    expect(before.openable).toBe(0);
    expect(before.checked).toBe(6);
    expect(before.missingKeyIds).toEqual([keyring(TEST_KEY_A).currentKeyId]);

    const rotating = new CredentialManager({
      backend,
      encryption: keyring(TEST_KEY_B, TEST_KEY_A),
      cache: false,
    });
    const result = await rotating.rewrap();
    expect(result).toMatchObject({ credentials: 5, rewrapped: 6, current: 0, notMoved: [] });

    const after = await onlyB.verifyKeys();
    expect(after).toMatchObject({ checked: 6, openable: 6, unopenable: [], missingKeyIds: [] });
    expect((await onlyB.getCredentials("live", "t", { version: 1 })).apiKey?.reveal()).toBe(
      "live-version-one",
    );
    await onlyB.restoreCredentials("gone", "t");
    expect((await onlyB.getCredentials("gone", "t")).apiKey?.reveal()).toBe("deleted-but-restorable");
  });

  it("is resumable: progress after each credential, a stop leaves a checkpoint, and continuing finishes the rest", async () => {
    const backend = await storeUnderKeyA();
    const rotating = new CredentialManager({
      backend,
      encryption: keyring(TEST_KEY_B, TEST_KEY_A),
      cache: false,
    });
    const stop = new AbortController();
    const progress: number[] = [];
    const first = await rotating.rewrap({
      signal: stop.signal,
      onProgress: (step) => {
        progress.push(step.credentials);
        if (step.credentials === 2) stop.abort();
      },
    });
    expect(progress).toEqual([1, 2]);
    expect(first.checkpoint).toBeDefined();
    const rest = await rotating.rewrap({ from: first.checkpoint as string });
    expect(first.rewrapped + rest.rewrapped).toBe(6);
    const check = await new CredentialManager({
      backend,
      encryption: keyring(TEST_KEY_B),
      cache: false,
    }).verifyKeys();
    expect(check.openable).toBe(6);
  });
});

/** A KMS-like provider with no way to compute a keyed MAC. */
function providerWithoutFingerprint(): KeyProvider {
  const inner = keyring(TEST_KEY_A);
  return {
    currentKeyId: inner.currentKeyId,
    hasKey: (id) => inner.hasKey(id),
    wrapKey: (key, context) => inner.wrapKey(key, context),
    unwrapKey: (id, wrapped, context) => inner.unwrapKey(id, wrapped, context),
  };
}

describe("issue 13 item 4: fingerprints are keyed and bound, never an oracle", () => {
  it("a provider without fingerprint() stores none, not an unkeyed hash", async () => {
    const backend = memoryBackend();
    const manager = new CredentialManager({ backend, encryption: providerWithoutFingerprint() });
    await manager.storeCredentials("c", "t", { password: "Summer2024!" });
    const info = await manager.describeCredentials("c", "t");
    expect(info.fingerprints).toEqual({});
    const unkeyed = createHash("sha256").update("Summer2024!").digest("hex");
    const page = await backend.list({});
    expect(JSON.stringify(page)).not.toContain(unkeyed.slice(0, 8));
  });

  it("with the local keyring, one value gives different fingerprints across tenants and fields", async () => {
    const manager = new CredentialManager({ backend: memoryBackend(), encryption: keyring() });
    await manager.storeCredentials("c", "tenant-1", { password: "Summer2024!" });
    await manager.storeCredentials("c", "tenant-2", { password: "Summer2024!" });
    await manager.storeCredentials("d", "tenant-1", { password: "Summer2024!" });
    const prints = await Promise.all(
      [
        ["c", "tenant-1"],
        ["c", "tenant-2"],
        ["d", "tenant-1"],
      ].map(
        async ([name, tenant]) =>
          (await manager.describeCredentials(name as string, tenant as string)).fingerprints.password,
      ),
    );
    expect(prints.every((print) => typeof print === "string" && print.length > 0)).toBe(true);
    expect(new Set(prints).size).toBe(3);
  });
});

describe("issue 13 item 5: a key id over 255 bytes is refused when sealing, and nothing is written", () => {
  it("the write fails with ConfigurationError and the store stays empty", async () => {
    const backend = memoryBackend();
    const inner = keyring();
    const longId: KeyProvider = {
      currentKeyId: "k".repeat(256),
      hasKey: () => true,
      wrapKey: (key, context) => inner.wrapKey(key, context),
      unwrapKey: (_id, wrapped, context) => inner.unwrapKey(inner.currentKeyId, wrapped, context),
    };
    const manager = new CredentialManager({ backend, encryption: longId });
    const error = await rejection(manager.storeCredentials("c", "t", { apiKey: "never-written-1" }));
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((await backend.list({})).entries).toEqual([]);
  });
});
