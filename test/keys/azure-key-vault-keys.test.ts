/**
 * The azure-key-vault-keys provider through `@azure/keyvault-keys` against the loopback Key Vault
 * keys data plane (test/servers/azure-key-vault-keys), with the real bearer challenge: the shared
 * key-provider suite and the rotation runbook (write under version 1, rotate, write under 2,
 * rewrap, disable 1, read back). The token credential is a fixed stand-in; nothing leaves loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { azureKeyVaultKeyProvider } from "../../src/keys/azure-key-vault-keys/index.js";
import type { KmsProviderOptions } from "../../src/kit/key-provider.js";
import { type AzureKeysServer, startAzureKeysServer } from "../servers/azure-key-vault-keys/server.js";
import { uniqueId } from "../support/fixtures.js";
import { runKeyProviderSuite } from "./key-provider-suite.js";

let server: AzureKeysServer;

beforeAll(async () => {
  server = await startAzureKeysServer();
});
afterAll(() => server.close());

function provider(name: string, options: KmsProviderOptions = {}, token = server.token) {
  return azureKeyVaultKeyProvider({
    keyId: `${server.endpoint}/keys/${name}`,
    credential: { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    clientOptions: {
      allowInsecureConnection: true,
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

runKeyProviderSuite({
  name: "azure-key-vault-keys",
  get secrets() {
    return [server.token];
  },
  setup: async () => {
    const name = uniqueId("key");
    server.createKey(name);
    return {
      create: (options) => provider(name, options),
      unwrapCalls: () => server.calls.filter((call) => call === `unwrapkey ${name}`).length,
      wrapCalls: () => server.calls.filter((call) => call === `wrapkey ${name}`).length,
      disable: () => server.setEnabled(name, 1, false),
      enable: () => server.setEnabled(name, 1, true),
      throttleNext: (times) => server.fault("throttle", times),
      failNext: (times) => server.fault("error503", times),
      flipNextUnwrap: () => server.fault("flip-unwrap"),
    };
  },
});

describe("azure-key-vault-keys specifics", () => {
  it("rotation runbook: version 1 records, rotate, version 2 records, rewrap, disable 1, everything reads back", async () => {
    const name = uniqueId("rotating");
    server.createKey(name);
    const kms = provider(name, { cache: false });
    await kms.check();
    const backend = memoryBackend({ env: {} });
    const manager = new CredentialManager({ backend, encryption: kms, cache: false });
    await manager.storeCredentials("first", "acme", { apiKey: "sk-under-version-one-001" });
    const first = (await manager.describeCredentials("first", "acme")).keyId;
    server.rotate(name);
    await kms.refresh();
    await manager.storeCredentials("second", "acme", { apiKey: "sk-under-version-two-002" });
    expect((await manager.describeCredentials("second", "acme")).keyId).not.toBe(first);
    expect(await manager.rewrap()).toMatchObject({ rewrapped: 1 });
    server.setEnabled(name, 1, false);
    const reader = new CredentialManager({
      backend,
      encryption: provider(name, { cache: false }),
      cache: false,
    });
    expect((await reader.getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-under-version-one-001");
    expect((await reader.getCredentials("second", "acme")).apiKey?.reveal()).toBe("sk-under-version-two-002");
  });

  it("a token Key Vault refuses is AuthError; an unknown key is ConfigurationError", async () => {
    const name = uniqueId("auth");
    server.createKey(name);
    await expect(provider(name, {}, "not-a-valid-token").check()).rejects.toMatchObject({ code: "auth" });
    await expect(provider(uniqueId("missing")).check()).rejects.toMatchObject({ code: "configuration" });
  });
});
