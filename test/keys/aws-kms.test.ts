/**
 * The aws-kms key provider through the official SDK against the loopback KMS
 * (test/servers/aws-kms): wrap and unwrap with an encryption context, every typed failure, the
 * bounded data-key cache, rotation and migration between keys, and canaries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { awsKmsKeyProvider } from "../../src/keys/aws-kms/index.js";
import { combineKeyProviders, type KmsProviderOptions } from "../../src/kit/key-provider.js";
import { type AwsKmsServer, startAwsKmsServer } from "../servers/aws-kms/server.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import { runKeyProviderSuite } from "./key-provider-suite.js";

const ACCESS_KEY = "AKIDKMSTEST";
const SECRET_KEY = "kms-test-secret-access-key-canary-0123456789";

let server: AwsKmsServer;

beforeAll(async () => {
  server = await startAwsKmsServer(ACCESS_KEY);
});
afterAll(() => server.close());

function provider(keyId: string, options: KmsProviderOptions = {}) {
  return awsKmsKeyProvider({
    keyId,
    clientOptions: {
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    },
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

runKeyProviderSuite({
  name: "aws-kms",
  secrets: [SECRET_KEY],
  setup: async () => {
    const arn = server.createKey(uniqueId("alias"));
    return {
      create: (options) => provider(arn, options),
      unwrapCalls: () => server.calls.filter((call) => call === "Decrypt").length,
      wrapCalls: () => server.calls.filter((call) => call === "GenerateDataKey").length,
      disable: () => server.disable(arn),
      enable: () => server.enable(arn),
      throttleNext: (times) => server.fault("throttle", times),
      failNext: (times) => server.fault("error500", times),
      flipNextUnwrap: () => server.fault("flip-plaintext"),
    };
  },
});

describe("aws-kms specifics", () => {
  it("data keys come from GenerateDataKey bound to the record; check() and reads need only Decrypt beside it", async () => {
    const arn = server.createKey(uniqueId("generating"));
    const kms = provider(arn);
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: kms,
      cache: false,
    });
    const from = server.calls.length;
    await kms.check();
    await manager.storeCredentials("openai", "acme", { apiKey: "sk-generated-data-key-01" });
    await manager.storeCredentials("anthropic", "acme", { apiKey: "sk-generated-data-key-02" });
    const reader = provider(arn, { cache: false });
    const other = new CredentialManager({ backend: manager.backend, encryption: reader, cache: false });
    expect((await other.getCredentials("openai", "acme")).apiKey?.reveal()).toBe("sk-generated-data-key-01");
    expect(server.calls.slice(from)).toEqual([
      "GenerateDataKey", // check()
      "Decrypt",
      "GenerateDataKey", // openai
      "GenerateDataKey", // anthropic: another record, another data key
      "Decrypt", // the reader
    ]);
  });

  it("addresses a key by alias, and automatic rotation keeps old records readable", async () => {
    const alias = uniqueId("rotating");
    const arn = server.createKey(alias);
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: provider(`alias/${alias}`),
      cache: false,
    });
    await manager.storeCredentials("before", "acme", { apiKey: "sk-before-rotation-0001" });
    server.rotate(arn);
    await manager.storeCredentials("after", "acme", { apiKey: "sk-after-rotation-00002" });
    expect((await manager.getCredentials("before", "acme")).apiKey?.reveal()).toBe("sk-before-rotation-0001");
    expect((await manager.getCredentials("after", "acme")).apiKey?.reveal()).toBe("sk-after-rotation-00002");
  });

  it("rotation runbook: records under the alias's key, alias moved to a new key, records under it, rewrap, old key disabled, everything reads back", async () => {
    const alias = uniqueId("runbook");
    const oldKey = server.createKey(alias);
    const kms = provider(`alias/${alias}`);
    const backend = memoryBackend({ env: {} });
    const manager = new CredentialManager({ backend, encryption: kms, cache: false });
    await kms.check(); // as createCredentialManager does: the key behind the alias is known
    await manager.storeCredentials("first", "acme", { apiKey: "sk-under-the-old-key-001" });
    const newKey = server.createKey();
    server.updateAlias(alias, newKey);
    await kms.refresh();
    await manager.storeCredentials("second", "acme", { apiKey: "sk-under-the-new-key-002" });
    expect((await manager.describeCredentials("first", "acme")).keyId).toBe(
      `aws-kms:alias/${alias}#${oldKey}`,
    );
    expect((await manager.describeCredentials("second", "acme")).keyId).toBe(
      `aws-kms:alias/${alias}#${newKey}`,
    );
    const fresh = () =>
      new CredentialManager({
        backend,
        encryption: provider(`alias/${alias}`, { cache: false }),
        cache: false,
      });
    // mixed keys read fine during the rotation
    expect((await fresh().getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-under-the-old-key-001");
    expect(await manager.rewrap()).toMatchObject({ rewrapped: 1 });
    server.disable(oldKey);
    const reader = fresh();
    expect((await reader.getCredentials("first", "acme")).apiKey?.reveal()).toBe("sk-under-the-old-key-001");
    expect((await reader.getCredentials("second", "acme")).apiKey?.reveal()).toBe("sk-under-the-new-key-002");
    expect((await reader.describeCredentials("first", "acme")).keyId).toBe(
      `aws-kms:alias/${alias}#${newKey}`,
    );
    expect(await reader.verifyKeys()).toMatchObject({ keyProvider: "usable", checked: 2, openable: 2 });
  });

  it("a record naming a key outside the alias's account is IntegrityError, and KMS is not asked to decrypt", async () => {
    const alias = uniqueId("home");
    server.createKey(alias);
    const kms = provider(`alias/${alias}`, { cache: false });
    const wrapped = await kms.wrapKey(new Uint8Array(32).fill(3), new Uint8Array([1]));
    const foreign = `aws-kms:alias/${alias}#arn:aws:kms:us-east-1:999999999999:key/${uniqueId("k")}`;
    const before = server.calls.filter((call) => call === "Decrypt").length;
    await expect(kms.unwrapKey(foreign, wrapped, new Uint8Array([1]))).rejects.toMatchObject({
      code: "integrity",
    });
    expect(server.calls.filter((call) => call === "Decrypt").length).toBe(before);
  });

  it("a key scheduled for deletion is KeyDisabledError; an unauthorised principal is AuthError, neither retried", async () => {
    const scheduled = server.createKey();
    const kms = provider(scheduled, { cache: false });
    const wrapped = await kms.wrapKey(new Uint8Array(32).fill(7), new Uint8Array([1]));
    server.scheduleDeletion(scheduled);
    const before = server.calls.length;
    await expect(kms.unwrapKey(kms.currentKeyId, wrapped, new Uint8Array([1]))).rejects.toMatchObject({
      code: "key_disabled",
    });
    expect(server.calls.length - before).toBe(1);
    const deniedKey = server.createKey();
    server.deny(deniedKey);
    await expect(provider(deniedKey).check()).rejects.toMatchObject({ code: "auth" });
  });

  it("unknown access keys are AuthError and the secret access key appears in no error", async () => {
    const kms = awsKmsKeyProvider({
      keyId: server.createKey(),
      clientOptions: {
        endpoint: server.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: SECRET_KEY },
      },
    });
    const error = await kms.check().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "auth", source: "aws-kms" });
    const { assertNoLeak } = await import("../support/fixtures.js");
    assertNoLeak(error, SECRET_KEY);
  });

  it("migrates from a local key to KMS: combined providers read both, rewrap moves every record", async () => {
    const backend = memoryBackend({ env: {} });
    const local = keyring();
    const before = new CredentialManager({ backend, encryption: local, cache: false });
    await before.storeCredentials("legacy", "acme", { apiKey: "sk-legacy-local-key-0001" });
    const kms = provider(server.createKey());
    const during = new CredentialManager({
      backend,
      encryption: combineKeyProviders(kms, local),
      cache: false,
    });
    await during.rewrap();
    const after = new CredentialManager({ backend, encryption: kms, cache: false });
    expect((await after.getCredentials("legacy", "acme")).apiKey?.reveal()).toBe("sk-legacy-local-key-0001");
    expect((await after.describeCredentials("legacy", "acme")).keyId).toBe(kms.currentKeyId);
  });

  it("per-tenant keys: deleting a tenant's own key shreds that tenant's credentials and no one else's", async () => {
    const backend = memoryBackend({ env: {} });
    const shared = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const customerKey = server.createKey(uniqueId("byok"));
    const acme = new CredentialManager({ backend, encryption: provider(customerKey), cache: false });
    await acme.storeCredentials("openai", "acme", { apiKey: "sk-acme-own-key-000001" });
    await shared.storeCredentials("openai", "globex", { apiKey: "sk-globex-shared-00001" });
    expect((await acme.getCredentials("openai", "acme")).apiKey?.reveal()).toBe("sk-acme-own-key-000001");
    server.scheduleDeletion(customerKey);
    const fresh = new CredentialManager({ backend, encryption: provider(customerKey), cache: false });
    await expect(fresh.getCredentials("openai", "acme")).rejects.toMatchObject({ code: "key_disabled" });
    await expect(shared.getCredentials("openai", "acme")).rejects.toMatchObject({ code: "integrity" });
    expect((await shared.getCredentials("openai", "globex")).apiKey?.reveal()).toBe("sk-globex-shared-00001");
  });
});
