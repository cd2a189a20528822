/**
 * The vault-transit key provider through node-vault against the loopback transit engine
 * (test/servers/vault-transit): the shared key-provider suite, key versions in wrapped keys, and
 * the rotation runbook: write under v1, rotate, write under v2, rewrap, retire v1, read back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { vaultTransitKeyProvider } from "../../src/keys/vault-transit/index.js";
import type { KmsProviderOptions } from "../../src/kit/key-provider.js";
import { startVaultTransitServer, type VaultTransitServer } from "../servers/vault-transit/server.js";
import { uniqueId } from "../support/fixtures.js";
import { runKeyProviderSuite } from "./key-provider-suite.js";

let server: VaultTransitServer;

beforeAll(async () => {
  server = await startVaultTransitServer();
});
afterAll(() => server.close());

function provider(key: string, options: KmsProviderOptions = {}) {
  return vaultTransitKeyProvider({
    key,
    endpoint: server.endpoint,
    token: server.token,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

runKeyProviderSuite({
  name: "vault-transit",
  get secrets() {
    return [server.token];
  },
  setup: async () => {
    const key = uniqueId("key");
    return {
      create: (options) => provider(key, options),
      unwrapCalls: () => server.calls.filter((call) => call === `decrypt ${key}`).length,
      wrapCalls: () => server.calls.filter((call) => call === `encrypt ${key}`).length,
      throttleNext: (times) => server.fault("rate-limit", times),
      failNext: (times) => server.fault("error500", times),
      flipNextUnwrap: () => server.fault("flip-plaintext"),
    };
  },
});

describe("vault-transit specifics", () => {
  it("rotation runbook: v1 records, rotate, v2 records, rewrap, retire v1, everything reads back", async () => {
    const key = uniqueId("rotating");
    const kms = provider(key, { cache: false });
    const backend = memoryBackend({ env: {} });
    const manager = new CredentialManager({ backend, encryption: kms, cache: false });
    await kms.check(); // the operator's first step: proves the key (transit creates it on first use)
    await manager.storeCredentials("first", "acme", { apiKey: "sk-under-version-one-001" });
    server.rotate(key);
    await kms.refresh();
    await manager.storeCredentials("second", "acme", { apiKey: "sk-under-version-two-002" });
    expect((await manager.describeCredentials("first", "acme")).keyId).toBe(`vault-transit:transit/${key}#1`);
    expect((await manager.describeCredentials("second", "acme")).keyId).toBe(
      `vault-transit:transit/${key}#2`,
    );
    expect(await manager.rewrap()).toMatchObject({ rewrapped: 1 });
    server.setMinDecryptionVersion(key, 2);
    const reader = new CredentialManager({
      backend,
      encryption: provider(key, { cache: false }),
      cache: false,
    });
    expect((await reader.getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-under-version-one-001");
    expect((await reader.getCredentials("second", "acme")).apiKey?.reveal()).toBe("sk-under-version-two-002");
  });

  it("a write just after a rotation wraps under the version its key id records (key_version on encrypt)", async () => {
    const key = uniqueId("pinned");
    const kms = provider(key);
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: kms,
      cache: false,
    });
    const wrappedVersion = async (name: string) => {
      const { backend } = manager;
      const record = await backend.get(encodeKey("acme", name, backend.capabilities.maxKeyLength));
      return /vault:v(\d+):/.exec(Buffer.from(record?.value ?? "", "base64").toString("latin1"))?.[1];
    };
    await kms.check(); // version 1 is current
    server.rotate(key); // in Vault; the provider learns of version 2 only on its next refresh
    await manager.storeCredentials("first", "acme", { apiKey: "sk-pinned-version-one-01" });
    expect((await manager.describeCredentials("first", "acme")).keyId).toBe(`vault-transit:transit/${key}#1`);
    expect(await wrappedVersion("first")).toBe("1");
    await kms.refresh();
    await manager.storeCredentials("second", "acme", { apiKey: "sk-pinned-version-two-02" });
    expect((await manager.describeCredentials("second", "acme")).keyId).toBe(
      `vault-transit:transit/${key}#2`,
    );
    expect(await wrappedVersion("second")).toBe("2");
    expect((await manager.getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-pinned-version-one-01");
  });

  it("a retired key version is KeyDisabledError; the key id records the version", async () => {
    const key = uniqueId("retired");
    const kms = provider(key, { cache: false });
    await kms.check();
    const context = new Uint8Array([1, 2, 3]);
    const wrapped = await kms.wrapKey(new Uint8Array(32).fill(1), context);
    expect(kms.currentKeyId).toBe(`vault-transit:transit/${key}#1`);
    server.rotate(key);
    await kms.refresh();
    expect(kms.currentKeyId).toBe(`vault-transit:transit/${key}#2`);
    server.setMinDecryptionVersion(key, 2);
    await expect(kms.unwrapKey(kms.currentKeyId, wrapped, context)).rejects.toMatchObject({
      code: "key_disabled",
    });
  });

  it("a wrong token is AuthError and the token appears in no error", async () => {
    const kms = vaultTransitKeyProvider({
      key: "k",
      endpoint: server.endpoint,
      token: "hvs.wrong-token-canary-0001",
    });
    const error = await kms.check().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "auth", source: "vault-transit" });
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain(
      "hvs.wrong-token-canary-0001",
    );
  });
});
