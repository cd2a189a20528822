/**
 * The gcp-kms key provider through the official SDK over real gRPC against the loopback Cloud KMS
 * (test/servers/gcp-kms): the shared key-provider suite, CRC32C checked both ways, and the
 * rotation runbook (write under version 1, rotate, write under 2, rewrap, disable 1, read back).
 * The SDK is pinned to loopback with insecure channel credentials and no credential lookup.
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { gcpKmsKeyProvider } from "../../src/keys/gcp-kms/index.js";
import type { KmsProviderOptions } from "../../src/kit/key-provider.js";
import { type GcpKmsServer, startGcpKmsServer } from "../servers/gcp-kms/server.js";
import { uniqueId } from "../support/fixtures.js";
import { runKeyProviderSuite } from "./key-provider-suite.js";

delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
const require = createRequire(import.meta.url);
// why: insecure channel credentials must come from the grpc-js copy google-gax itself uses.
const gaxRequire = createRequire(createRequire(require.resolve("@google-cloud/kms")).resolve("google-gax"));
const gax = gaxRequire("google-gax") as { grpc: { credentials: { createInsecure(): unknown } } };
const { PassThroughClient } = gaxRequire("google-auth-library") as { PassThroughClient: new () => unknown };

let server: GcpKmsServer;

beforeAll(async () => {
  server = await startGcpKmsServer();
});
afterAll(() => server.close());

function provider(keyName: string, options: KmsProviderOptions = {}) {
  return gcpKmsKeyProvider({
    keyName,
    clientOptions: {
      apiEndpoint: "127.0.0.1",
      port: server.port,
      universeDomain: "googleapis.com",
      sslCreds: gax.grpc.credentials.createInsecure(),
      authClient: new PassThroughClient(),
    } as never,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

runKeyProviderSuite({
  name: "gcp-kms",
  secrets: [],
  corruptedAnswer: "retried",
  setup: async () => {
    const keyName = server.createKey(uniqueId("key"));
    return {
      create: (options) => provider(keyName, options),
      unwrapCalls: () => server.calls.filter((call) => call === `Decrypt ${keyName}`).length,
      wrapCalls: () => server.calls.filter((call) => call === `Encrypt ${keyName}`).length,
      disable: () => server.setState(keyName, 1, "DISABLED"),
      enable: () => server.setState(keyName, 1, "ENABLED"),
      throttleNext: (times) => server.fault("throttle", times),
      failNext: (times) => server.fault("unavailable", times),
      flipNextUnwrap: () => server.fault("flip-plaintext"),
    };
  },
});

describe("gcp-kms specifics", () => {
  it("rotation runbook: version 1 records, rotate, version 2 records, rewrap, disable 1, everything reads back", async () => {
    const keyName = server.createKey(uniqueId("rotating"));
    const kms = provider(keyName, { cache: false });
    const backend = memoryBackend({ env: {} });
    const manager = new CredentialManager({ backend, encryption: kms, cache: false });
    await kms.check(); // the start-up check also learns the key's primary version
    await manager.storeCredentials("first", "acme", { apiKey: "sk-under-version-one-001" });
    expect((await manager.describeCredentials("first", "acme")).keyId).toBe(`gcp-kms:${keyName}#1`);
    server.rotate(keyName);
    await kms.refresh();
    await manager.storeCredentials("second", "acme", { apiKey: "sk-under-version-two-002" });
    expect((await manager.describeCredentials("second", "acme")).keyId).toBe(`gcp-kms:${keyName}#2`);
    expect(await manager.rewrap()).toMatchObject({ rewrapped: 1 });
    server.setState(keyName, 1, "DISABLED");
    const reader = new CredentialManager({
      backend,
      encryption: provider(keyName, { cache: false }),
      cache: false,
    });
    expect((await reader.getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-under-version-one-001");
    expect((await reader.getCredentials("second", "acme")).apiKey?.reveal()).toBe("sk-under-version-two-002");
  });

  it.each([
    ["an Encrypt answer corrupted on the way back fails our check", "flip-ciphertext"],
    ["an Encrypt request corrupted on the way in fails the service's check", "flip-request"],
  ] as const)("CRC32C both ways: %s, and the call is made again", async (_what, fault) => {
    const keyName = server.createKey(uniqueId("crc"));
    const kms = provider(keyName, { cache: false });
    server.fault(fault);
    const before = server.calls.filter((call) => call.startsWith("Encrypt")).length;
    const wrapped = await kms.wrapKey(new Uint8Array(32).fill(3), new Uint8Array([9]));
    expect(server.calls.filter((call) => call.startsWith("Encrypt")).length - before).toBe(2);
    expect(Buffer.from(await kms.unwrapKey(kms.currentKeyId, wrapped, new Uint8Array([9])))).toEqual(
      Buffer.alloc(32, 3),
    );
  });

  it("an unknown key is a ConfigurationError, not retried", async () => {
    const kms = provider("projects/credkit-test/locations/global/keyRings/credkit/cryptoKeys/missing");
    await expect(kms.check()).rejects.toMatchObject({ code: "configuration", source: "gcp-kms" });
  });
});
