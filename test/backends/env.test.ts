import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { definition, encryptForEnv, envBackend, variableName } from "../../src/backends/env/index.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConfigurationError, IntegrityError, UnsupportedError } from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A } from "../support/fixtures.js";

const contractEnv: Record<string, string | undefined> = {};
runBackendContract({
  name: "env",
  create: async () => envBackend({ env: contractEnv }),
  seed: async ({ encryption, ...input }) => {
    const variable = await encryptForEnv({ ...input, encryptionKey: encryption });
    contractEnv[variable.name] = variable.value;
  },
});

const caught = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

describe("env backend", () => {
  it("names a credential's variable by the documented encoding", async () => {
    const variable = await encryptForEnv({
      tenantId: "user-42",
      connectionId: "openai",
      fields: { apiKey: "sk-documented-example-1234" },
      encryptionKey: TEST_KEY_A,
    });
    expect(variable.name).toBe("CREDKIT_USER_2D42__OPENAI");
    expect(variable.value.startsWith("credkit:1:")).toBe(true);
    assertNoLeak(variable, "sk-documented-example-1234");
  });

  it("gives distinct (tenantId, connectionId) pairs distinct, legal variable names", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (t1, n1, t2, n2) => {
        fc.pre(t1 !== t2 || n1 !== n2);
        const a = variableName("CREDKIT_", encodeKey(t1, n1, 200));
        const b = variableName("CREDKIT_", encodeKey(t2, n2, 200));
        expect(a).toMatch(/^[A-Z_][A-Z0-9_]*$/);
        expect(a).not.toBe(b);
      }),
    );
  });

  it("is chosen by VAULT_TYPE=env and serves what encryptForEnv sealed, under a custom prefix", async () => {
    const secret = canary();
    const variable = await encryptForEnv({
      tenantId: "t1",
      connectionId: "anthropic",
      fields: { apiKey: secret },
      encryptionKey: TEST_KEY_A,
      type: "api_key",
      prefix: "APP_",
    });
    const manager = await createCredentialManager({
      env: {
        VAULT_TYPE: "env",
        CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A,
        CREDKIT_ENV_PREFIX: "APP_",
        [variable.name]: variable.value,
      },
    });
    expect(manager.backend.capabilities.readOnly).toBe(true);
    expect((await manager.getCredentials("anthropic", "t1")).apiKey?.reveal()).toBe(secret);
    expect(definition.type).toBe("env");
  });

  it("refuses writes with UnsupportedError naming the variable to set, never the value", async () => {
    const secret = canary();
    const manager = new CredentialManager({ backend: envBackend({ env: {} }), encryption: keyring() });
    const error = await caught(manager.storeCredentials("openai", "user-42", { apiKey: secret }));
    expect(UnsupportedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("CREDKIT_USER_2D42__OPENAI");
    expect((error as Error).message).toContain("encryptForEnv");
    assertNoLeak(error, secret);
  });

  it("a value copied onto another credential's variable is never served: IntegrityError as is and once relabelled", async () => {
    const sealed = await encryptForEnv({
      tenantId: "a",
      connectionId: "c",
      fields: { apiKey: "copied-value-1234" },
      encryptionKey: TEST_KEY_A,
    });
    const target = variableName("CREDKIT_", encodeKey("b", "c", 200));
    const record = JSON.parse(Buffer.from(sealed.value.slice("credkit:1:".length), "base64url").toString());
    record.metadata.tenant = "b";
    const relabelled = `credkit:1:${Buffer.from(JSON.stringify(record)).toString("base64url")}`;
    for (const [value, expected] of [
      [sealed.value, "IntegrityError"],
      [relabelled, "IntegrityError"],
    ] as const) {
      const manager = new CredentialManager({
        backend: envBackend({ env: { [target]: value } }),
        encryption: keyring(),
      });
      const error = await caught(manager.getCredentials("c", "b"));
      expect(error, expected).toBeInstanceOf(IntegrityError);
      assertNoLeak(error, "copied-value-1234");
    }
  });

  it("a malformed value is an IntegrityError naming the variable and not echoing the value", async () => {
    const secret = canary();
    const manager = new CredentialManager({
      backend: envBackend({ env: { CREDKIT_T__C: `credkit:1:${secret}` } }),
      encryption: keyring(),
    });
    const error = await caught(manager.getCredentials("c", "t"));
    expect(IntegrityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("CREDKIT_T__C");
    assertNoLeak(error, secret);
  });

  it("reads plain JSON outside production (encryption off) with one warning that names only the variable", async () => {
    const secret = canary();
    const warn = vi.fn();
    const backend = envBackend({
      env: {
        CREDKIT_T__A: JSON.stringify({ apiKey: secret }),
        CREDKIT_T__B: JSON.stringify({ token: secret }),
      },
      warn,
    });
    const manager = new CredentialManager({ backend, encryption: false, cache: false });
    expect((await manager.getCredentials("a", "t")).apiKey?.reveal()).toBe(secret);
    expect((await manager.getCredentials("b", "t")).token?.reveal()).toBe(secret);
    expect((await manager.listCredentials("t")).items.map((item) => item.connectionId).sort()).toEqual([
      "a",
      "b",
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("CREDKIT_T__");
    assertNoLeak(warn.mock.calls, secret);
  });

  it("refuses plain JSON when NODE_ENV=production (however it is spelled)", async () => {
    const secret = canary();
    for (const NODE_ENV of ["production", " Production "]) {
      const backend = envBackend({ env: { NODE_ENV, CREDKIT_T__A: JSON.stringify({ apiKey: secret }) } });
      const manager = new CredentialManager({ backend, encryption: false, cache: false });
      const error = await caught(manager.getCredentials("a", "t"));
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain("CREDKIT_T__A");
      assertNoLeak(error, secret);
    }
  });

  it("rejects a prefix that cannot start a variable name", () => {
    expect(() => envBackend({ env: {}, prefix: "1bad-" })).toThrow(ConfigurationError);
  });
});
