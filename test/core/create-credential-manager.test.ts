import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { assertNoLeak, configurationError, TEST_KEY_A } from "../support/fixtures.js";

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-factory-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

describe("createCredentialManager", () => {
  it("defaults to the file store with a 0600 development key file, warning once", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const env = { CREDKIT_FILE_DIR: directory };
    const manager = await createCredentialManager({ env });
    expect(manager.backend.name).toBe("file");
    await manager.storeCredentials("c", "t", { apiKey: "default-store-value" });
    const again = await createCredentialManager({ env });
    expect((await again.getCredentials("c", "t")).apiKey?.reveal()).toBe("default-store-value");
    expect((await stat(join(directory, "key"))).mode & 0o777).toBe(0o600);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect(warn.mock.calls.filter((call) => String(call[0]).includes("development key file"))).toHaveLength(
      1,
    );
    const stored = await readFile(join(directory, "key"), "utf8");
    assertNoLeak(warn.mock.calls, stored);
  });

  it("picks the backend from VAULT_TYPE, accepting long names", async () => {
    const manager = await createCredentialManager({
      env: { VAULT_TYPE: "memory", CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A },
    });
    expect(manager.backend.name).toBe("memory");
  });

  it("lists the valid types for an unknown VAULT_TYPE", async () => {
    const error = await configurationError(createCredentialManager({ env: { VAULT_TYPE: "fly" } }));
    expect(error.message).toContain('"fly"');
    expect(error.available).toEqual(expect.arrayContaining(["file", "memory"]));
    for (const type of error.available) expect(error.message).toContain(type);
  });

  it("requires an explicit key in production, with one error naming it", async () => {
    const error = await configurationError(
      createCredentialManager({ env: { NODE_ENV: "production", CREDKIT_FILE_DIR: directory } }),
    );
    expect(error.missing).toEqual(["CREDENTIAL_ENCRYPTION_KEY"]);
    expect(error.message).toContain("CREDENTIAL_ENCRYPTION_KEY");
  });

  it("refuses the memory backend in production, saying which VAULT_TYPE to set", async () => {
    const error = await configurationError(
      createCredentialManager({
        env: { NODE_ENV: "production", VAULT_TYPE: "memory", CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A },
      }),
    );
    expect(error.message).toContain("VAULT_TYPE");
  });

  it("refuses a malformed key without echoing it", async () => {
    const bad = "correct-horse-battery-staple";
    const error = await configurationError(
      createCredentialManager({ env: { VAULT_TYPE: "memory", CREDENTIAL_ENCRYPTION_KEY: bad } }),
    );
    expect(error.message).toContain("node -e");
    assertNoLeak(error, bad);
  });

  it("lets explicit options win over the environment", async () => {
    const manager = await createCredentialManager({
      backend: memoryBackend({ env: {} }),
      encryptionKey: TEST_KEY_A,
      env: { VAULT_TYPE: "nonsense", CREDENTIAL_ENCRYPTION_KEY: "also-nonsense" },
    });
    expect(manager.backend.name).toBe("memory");
    const info = await manager.storeCredentials("c", "t", { apiKey: "explicit-options-value" });
    expect(info.keyId).toMatch(/^k[0-9a-f]{8}$/);
  });

  it("can turn application encryption off when asked explicitly", async () => {
    const manager = await createCredentialManager({
      backend: memoryBackend({ env: {} }),
      encryptionKey: false,
    });
    expect((await manager.storeCredentials("c", "t", { apiKey: "plain-on-purpose" })).keyId).toBeNull();
  });

  it("names every missing variable of each backend in one error", async () => {
    const expected: Record<string, string[]> = {
      memory: ["VAULT_TYPE"], // refused in production: the fix is another VAULT_TYPE
      file: [],
      postgres: ["DATABASE_URL"],
      aws: ["AWS_REGION"],
      vault: ["VAULT_ADDR", "VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID, or VAULT_K8S_ROLE)"],
      gcp: ["GOOGLE_CLOUD_PROJECT"],
      azure: ["AZURE_KEY_VAULT_URL"],
      cloudflare: ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_KV_NAMESPACE_ID", "CLOUDFLARE_API_TOKEN"],
    };
    for (const [type, missing] of Object.entries(expected)) {
      const error = await configurationError(
        createCredentialManager({ env: { VAULT_TYPE: type, NODE_ENV: "production" } }),
      );
      expect(error.missing).toEqual([...missing, "CREDENTIAL_ENCRYPTION_KEY"]);
      for (const name of error.missing) expect(error.message).toContain(name);
    }
  });
});
