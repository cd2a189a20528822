/**
 * Key providers chosen from the environment (`CREDKIT_KMS`): every folder is registered, declares
 * its peer packages and has a section in docs/keys.md; `createCredentialManager` proves the key at
 * start-up and keeps a local key readable for the migration to a KMS.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { keyProviderDefinition, keyProviderTypes } from "../../src/keys/registry.js";
import { startVaultTransitServer, type VaultTransitServer } from "../servers/vault-transit/server.js";
import { TEST_KEY_A, uniqueId } from "../support/fixtures.js";

const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as {
  peerDependencies: Record<string, string>;
};
const folders = readdirSync("src/keys", { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

let server: VaultTransitServer;
beforeAll(async () => {
  server = await startVaultTransitServer();
});
afterAll(() => server.close());

const transitEnv = (key: string, extra: Record<string, string> = {}) => ({
  VAULT_TYPE: "memory",
  CREDKIT_KMS: "vault-transit",
  CREDKIT_KMS_KEY_ID: key,
  VAULT_ADDR: server.endpoint,
  VAULT_TOKEN: server.token,
  ...extra,
});

describe("key provider registry", () => {
  it("registers every folder of src/keys, each declaring its type, peer packages and docs section", async () => {
    expect(keyProviderTypes()).toEqual(folders);
    const docs = readFileSync("docs/keys.md", "utf8");
    for (const type of folders) {
      const definition = await keyProviderDefinition({ CREDKIT_KMS: type });
      expect(definition?.type).toBe(type);
      for (const name of definition?.packages ?? [])
        expect(packageJson.peerDependencies).toHaveProperty([name]);
      expect(docs).toContain(`## \`${type}\``);
    }
  });

  it("an unknown CREDKIT_KMS lists the valid values; a missing key id is named", async () => {
    await expect(
      createCredentialManager({ env: { VAULT_TYPE: "memory", CREDKIT_KMS: "hsm-of-dreams" } }),
    ).rejects.toMatchObject({
      code: "configuration",
      available: folders,
    });
    await expect(
      createCredentialManager({ env: { VAULT_TYPE: "memory", CREDKIT_KMS: "aws-kms" } }),
    ).rejects.toMatchObject({
      code: "configuration",
      missing: ["CREDKIT_KMS_KEY_ID"],
    });
  });

  it("createCredentialManager proves the KMS key at start-up: a refused token fails there, not at the first write", async () => {
    await expect(
      createCredentialManager({ env: transitEnv(uniqueId("key"), { VAULT_TOKEN: "hvs.not-the-token" }) }),
    ).rejects.toMatchObject({ code: "auth", source: "vault-transit" });
  });

  it("CREDKIT_KMS with a local key: old records stay readable, new ones go to the KMS, rewrap moves the rest", async () => {
    const key = uniqueId("migrate");
    const local = await createCredentialManager({
      env: { VAULT_TYPE: "memory", CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A },
    });
    await local.storeCredentials("legacy", "acme", { apiKey: "sk-legacy-before-kms-001" });
    const migrating = await createCredentialManager({
      backend: local.backend,
      env: transitEnv(key, { CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A }),
    });
    expect((await migrating.getCredentials("legacy", "acme")).apiKey?.reveal()).toBe(
      "sk-legacy-before-kms-001",
    );
    await migrating.storeCredentials("fresh", "acme", { apiKey: "sk-fresh-under-the-kms-02" });
    expect((await migrating.describeCredentials("fresh", "acme")).keyId).toBe(
      `vault-transit:transit/${key}#1`,
    );
    expect(await migrating.rewrap()).toMatchObject({ rewrapped: 1 });
    const kmsOnly = await createCredentialManager({ backend: local.backend, env: transitEnv(key) });
    expect((await kmsOnly.getCredentials("legacy", "acme")).apiKey?.reveal()).toBe(
      "sk-legacy-before-kms-001",
    );
  });
});
