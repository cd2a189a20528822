/**
 * The Azure Key Vault backend, through the official `@azure/keyvault-secrets` SDK over HTTP to
 * the loopback Key Vault in test/servers/azure-key-vault. Credentials are a fake TokenCredential
 * returning a fixed canary token; nothing reaches Entra ID, IMDS or a real vault.
 */
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AzureKeyVaultSharedOptions,
  azureKeyVaultBackend,
  definition,
} from "../../src/backends/azure-key-vault/index.js";
import { needsSdkHttpClient, undiciHttpClient } from "../../src/backends/azure-key-vault/transport.js";
import type { Backend, RecordMetadata } from "../../src/core/backend.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  DeletedError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  type ValidationError,
} from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { KeyVaultServer } from "../servers/azure-key-vault/server.js";
import { assertNoLeak, canary, keyring, uniqueId } from "../support/fixtures.js";
import { type OutputTap, tapOutput } from "../support/output.js";
import { malformed, proveRecordGuard } from "../support/record-guard.js";

// why: pin everything @azure/identity or the SDK could read, so nothing can leave loopback.
for (const name of [
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_KEY_VAULT_URL",
  "AZURE_AUTHORITY_HOST",
  "AZURE_FEDERATED_TOKEN_FILE",
  "IDENTITY_ENDPOINT",
  "MSI_ENDPOINT",
  "AZURE_LOG_LEVEL",
  "CREDKIT_AZURE_CREDENTIAL",
  "CREDKIT_AZURE_PREFIX",
  "CREDKIT_AZURE_ON_DELETED",
]) {
  delete process.env[name];
}

const TOKEN = canary("kv-token");
const READ_ONLY_TOKEN = canary("kv-reader");
let server: KeyVaultServer;
let output: OutputTap;

function tokenCredential(token: string) {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

const CLIENT_OPTIONS = { allowInsecureConnection: true, disableChallengeResourceVerification: true };

function backendWith(
  options: AzureKeyVaultSharedOptions & { clientOptions?: SecretClientOptions } = {},
): Backend {
  return azureKeyVaultBackend({
    endpoint: server.url,
    credential: tokenCredential(TOKEN),
    clientOptions: CLIENT_OPTIONS,
    pollIntervalMs: 5,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 5_000 },
    env: {},
    ...options,
  });
}

function metadataFor(tenant: string, name: string, extra: Partial<RecordMetadata> = {}): RecordMetadata {
  const now = new Date().toISOString();
  return {
    tenant,
    name,
    type: "api_key",
    fingerprints: {},
    keyId: null,
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}

beforeAll(async () => {
  server = await KeyVaultServer.start({ tokens: { [TOKEN]: "all", [READ_ONLY_TOKEN]: "read" } });
  output = tapOutput();
});

afterAll(async () => {
  output.restore();
  await server?.close();
  // The canary token and every planted value never reached stdout or stderr.
  assertNoLeak(output.text(), TOKEN);
});

runBackendContract({
  name: "azure (SDK → loopback Key Vault)",
  create: async () => backendWith(),
});

describe("azure key vault: the wire", () => {
  beforeEach(() => server.clearFaults());

  it("answers a client's first request with the 401 challenge, then sends the token", async () => {
    const backend = backendWith();
    const before = server.requests.length;
    await backend.put(encodeKey(uniqueId(), "wire", backend.capabilities.maxKeyLength), {
      value: "payload",
      metadata: metadataFor("t", "wire"),
    });
    const seen = server.requests.slice(before);
    expect(seen[0]).toMatchObject({ authorization: false, status: 401 });
    expect(seen[1]).toMatchObject({ authorization: true });
    expect(seen.slice(1).every((request) => request.authorization)).toBe(true);
    // api-version travels percent-encoded, and "latest" has the trailing slash.
    expect(seen.every((request) => /[?&]api%2Dversion=(2025-07-01|2026-04-01)(&|$)/.test(request.url))).toBe(
      true,
    );
    expect(seen.some((request) => request.method === "GET" && /\/secrets\/[^/]+\/\?/.test(request.url))).toBe(
      true,
    );
  });

  it("lays records out as Key Vault secrets: tags, contentType, expiresOn, hex version ids", async () => {
    const backend = backendWith();
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "layout", backend.capabilities.maxKeyLength);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    await backend.put(key, {
      value: "p1",
      metadata: metadataFor(tenant, "layout", { type: "oauth", expiresAt }),
    });
    await backend.put(key, {
      value: "p2",
      metadata: metadataFor(tenant, "layout", { type: "oauth", expiresAt }),
    });
    const versions = server.versionsOf(`credkit-${key.id}`);
    expect(versions).toHaveLength(2);
    for (const [index, version] of versions.entries()) {
      expect(version.id).toMatch(/^[0-9a-f]{32}$/);
      expect(version.contentType).toBe("application/vnd.credkit.record+json;v=1");
      expect(version.tags).toMatchObject({
        "credkit-tenant": key.tenantSegment,
        "credkit-type": "oauth",
        "credkit-version": String(index + 1),
        "credkit-state": "committed",
      });
      expect(version.exp).toBe(Math.floor(Date.parse(expiresAt) / 1000));
    }
    expect((await backend.get(key, { version: 1 }))?.value).toBe("p1");
    expect((await backend.get(key))?.version).toBe(2);
  });

  it("works with a SecretClient passed in", async () => {
    const client = new SecretClient(server.url, tokenCredential(TOKEN), {
      ...CLIENT_OPTIONS,
      retryOptions: { maxRetries: 0 },
    });
    const backend = azureKeyVaultBackend({ client, env: {}, pollIntervalMs: 5 });
    const key = encodeKey(uniqueId(), "given", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "given-client", metadata: metadataFor("t", "given") });
    expect((await client.getSecret(`credkit-${key.id}`)).properties.tags?.["credkit-version"]).toBe("1");
  });

  it("sends over a given clientOptions.httpClient instead of its own", async () => {
    const inner = undiciHttpClient(5_000);
    let sent = 0;
    const httpClient: typeof inner = {
      sendRequest: (request) => {
        sent++;
        return inner.sendRequest(request);
      },
    };
    const backend = backendWith({ clientOptions: { ...CLIENT_OPTIONS, httpClient } });
    const key = encodeKey(uniqueId(), "own-http", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "via-given-http-client", metadata: metadataFor("t", "own-http") });
    expect((await backend.get(key))?.value).toBe("via-given-http-client");
    expect(sent).toBeGreaterThanOrEqual(2);
  });

  it("its own HTTP client refuses, before sending, a body that is not text", async () => {
    const before = server.requests.length;
    const headers = { toJSON: () => ({}) };
    const request = {
      url: `${server.url}/secrets/x`,
      method: "PUT",
      headers,
      timeout: 0,
      body: new ReadableStream(),
    };
    await expect(undiciHttpClient(5_000).sendRequest(request as never)).rejects.toThrow(/text bodies only/);
    expect(server.requests.length).toBe(before);
  });

  it("keeps the SDK's HTTP client for what only it carries: a proxy, TLS options, an agent", () => {
    expect(needsSdkHttpClient(CLIENT_OPTIONS)).toBe(false);
    expect(needsSdkHttpClient({ proxyOptions: { host: "http://127.0.0.1", port: 3128 } })).toBe(true);
    expect(needsSdkHttpClient({ tlsOptions: { ca: "pem" } } as never)).toBe(true);
    expect(needsSdkHttpClient({ agent: {} } as never)).toBe(true);
    process.env.HTTPS_PROXY = "http://127.0.0.1:3128";
    try {
      expect(needsSdkHttpClient(CLIENT_OPTIONS)).toBe(true);
    } finally {
      delete process.env.HTTPS_PROXY;
    }
  });

  it("declares names within Key Vault's 127 characters, minus its prefix", () => {
    expect(backendWith().capabilities.maxKeyLength).toBe(127 - "credkit-".length);
    expect(backendWith({ prefix: "App1-" }).capabilities.maxKeyLength).toBe(122);
    expect(() => backendWith({ prefix: "bad_prefix" })).toThrow(ConfigurationError);
    expect(() => backendWith({ prefix: "x".repeat(20) })).toThrow(ConfigurationError);
  });
});

describe("azure key vault: names", () => {
  it("round-trips ids with every kind of character, distinct despite Key Vault's case-insensitivity", async () => {
    const backend = backendWith({ prefix: "names-" });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const run = uniqueId("n");
    const ids: Array<[string, string]> = [
      ["Tenant", "Name"],
      ["tenant", "name"],
      ["TENANT", "NAME"],
      ["a_b.c", "d e/f"],
      ["a", "b--c"],
      ["a--b", "c"],
      ["ü", "ü"],
      ["u\u0308", "u\u0308"],
      ["🚀 rocket", "名前 / 이름"],
      ["tab\there", "new\nline"],
      ["", "-"],
      ["-", "-"],
      ["%41", "A"],
      ["x".repeat(200), "y".repeat(256)],
      ["x".repeat(200), `${"y".repeat(255)}z`],
      ["quote\"'`", "<>&;|$(){}[]"],
    ];
    await Promise.all(
      ids.map(([tenant, name], index) =>
        manager.storeCredentials(name, `${run}${tenant}`, { apiKey: `names-value-${index}` }),
      ),
    );
    for (const [index, [tenant, name]] of ids.entries()) {
      const credentials = await manager.getCredentials(name, `${run}${tenant}`);
      expect(credentials.apiKey?.reveal()).toBe(`names-value-${index}`);
    }
    const names = server.names().filter((name) => name.startsWith("names-"));
    expect(names).toHaveLength(ids.length);
    for (const name of names) expect(name).toMatch(/^[0-9a-zA-Z-]{1,127}$/);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(ids.length);
  });
});

describe("azure key vault: soft delete", () => {
  beforeEach(() => {
    server.clearFaults();
    server.deleteLagMs = 0;
  });

  it("recover policy: storing a soft-deleted name recovers it and writes on top", async () => {
    const backend = backendWith({ onDeletedName: "recover" });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("again", tenant, { apiKey: "first-life-value" });
    await manager.deleteCredentials("again", tenant);
    expect(
      DeletedError.isInstance(await manager.getCredentials("again", tenant).catch((e: unknown) => e)),
    ).toBe(true);
    const info = await manager.storeCredentials(
      "again",
      tenant,
      { apiKey: "second-life-value" },
      { ifVersion: 0 },
    );
    // why: sealed for the version it is stored as; Key Vault continues the old numbering after a
    // recover (2), so the core seals once more on top (3); version 2 reads as IntegrityError.
    expect(info.version).toBe(3);
    expect((await manager.getCredentials("again", tenant)).apiKey?.reveal()).toBe("second-life-value");
    expect((await manager.getCredentials("again", tenant, { version: 1 })).apiKey?.reveal()).toBe(
      "first-life-value",
    );
  });

  it("conflict policy: storing a soft-deleted name is a typed ConflictError until restored or purged", async () => {
    const backend = backendWith({ onDeletedName: "conflict" });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("taken", tenant, { apiKey: "first-life-value" });
    await manager.deleteCredentials("taken", tenant);
    const error = await manager
      .storeCredentials("taken", tenant, { apiKey: "blocked-value" })
      .catch((e: unknown) => e);
    expect(ConflictError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/deleted but recoverable/);
    await manager.restoreCredentials("taken", tenant);
    expect((await manager.storeCredentials("taken", tenant, { apiKey: "after-restore" })).version).toBe(2);
    await manager.purgeCredentials("taken", tenant);
    expect((await manager.storeCredentials("taken", tenant, { apiKey: "after-purge" })).version).toBe(1);
  });

  it("waits out a delete still in progress (404 polls, 409 ObjectIsBeingDeleted) without hanging", async () => {
    server.deleteLagMs = 60;
    const backend = backendWith({
      retry: { attempts: 20, baseDelayMs: 10, maxDelayMs: 20, timeoutMs: 5_000 },
    });
    const key = encodeKey(uniqueId(), "lag", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "lag") });
    await backend.delete(key);
    const deletedPolls = server.requests.filter(
      (request) => request.path === `/deletedsecrets/credkit-${key.id}` && request.status === 404,
    );
    expect(deletedPolls.length).toBeGreaterThan(0);
    await backend.delete(key, { purge: true });
    await backend.put(key, { value: "v2", metadata: metadataFor("t", "lag") });
    server.deleteLagMs = 60;
    await backend.delete(key);
    await expect(backend.put(key, { value: "v3", metadata: metadataFor("t", "lag") })).resolves.toEqual({
      version: 2,
    });
  });

  it("restore is a no-op on a live record and NotFound on a missing one; purge leaves nothing", async () => {
    const backend = backendWith();
    const key = encodeKey(uniqueId(), "r", backend.capabilities.maxKeyLength);
    expect(NotFoundError.isInstance(await backend.restore?.(key).catch((e: unknown) => e))).toBe(true);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "r") });
    await backend.restore?.(key);
    expect((await backend.get(key))?.value).toBe("v");
    await backend.delete(key, { purge: true });
    expect(await backend.get(key)).toBeUndefined();
    expect(server.names()).not.toContain(`credkit-${key.id}`);
    expect(NotFoundError.isInstance(await backend.delete(key).catch((e: unknown) => e))).toBe(true);
  });

  it("lists deleted credentials only when asked, across pages", async () => {
    const backend = backendWith({ prefix: "lst-" });
    const tenant = uniqueId("tenant");
    const other = uniqueId("tenant");
    const max = backend.capabilities.maxKeyLength;
    for (let index = 0; index < 30; index++) {
      const owner = index % 2 === 0 ? tenant : other;
      await backend.put(encodeKey(owner, `c${index}`, max), {
        value: "v",
        metadata: metadataFor(owner, `c${index}`),
      });
    }
    await backend.delete(encodeKey(tenant, "c0", max));
    const collect = async (includeDeleted: boolean) => {
      const seen: Array<[string, boolean]> = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await backend.list({
          tenantSegment: encodeKey(tenant, "x", max).tenantSegment,
          limit: 4,
          includeDeleted,
          ...(cursor ? { cursor } : {}),
        });
        expect(page.entries.length).toBeLessThanOrEqual(4);
        seen.push(...page.entries.map((entry): [string, boolean] => [entry.metadata.name, entry.deleted]));
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(2);
      return seen.sort();
    };
    const forged = await backend.list({ cursor: "not-a-cursor" }).catch((e: unknown) => e);
    expect((forged as ValidationError).field).toBe("cursor");
    const live = await collect(false);
    expect(live).toHaveLength(14);
    expect(live.every(([, deleted]) => !deleted)).toBe(true);
    const all = await collect(true);
    expect(all).toHaveLength(15);
    expect(all.filter(([, deleted]) => deleted)).toEqual([["c0", true]]);
  });
});

describe("azure key vault: concurrency", () => {
  it("concurrent rotates lose nothing: each gets its own version, each version reads back its value", async () => {
    const backend = backendWith();
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("hot", tenant, { apiKey: "initial-value" });
    const writers = 8;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, index) =>
        manager.rotateCredentials("hot", tenant, { apiKey: `rotated-value-${index}` }),
      ),
    );
    const versions = results.map((result) => result.version).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    for (const [index, result] of results.entries()) {
      const pinned = await manager.getCredentials("hot", tenant, { version: result.version });
      expect(pinned.apiKey?.reveal()).toBe(`rotated-value-${index}`);
    }
    const latest = results.find((result) => result.version === 9);
    const winner = results.indexOf(latest as (typeof results)[number]);
    expect((await manager.getCredentials("hot", tenant)).apiKey?.reveal()).toBe(`rotated-value-${winner}`);
    expect((await manager.describeCredentials("hot", tenant)).version).toBe(9);
  });

  it("a pending claim left by a dead writer is never served and, once stale, blocks nobody", async () => {
    const backend = backendWith({ claimTtlMs: 0 });
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "ghost", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "committed-1", metadata: metadataFor(tenant, "ghost") });
    const client = new SecretClient(server.url, tokenCredential(TOKEN), {
      ...CLIENT_OPTIONS,
      retryOptions: { maxRetries: 0 },
    });
    const committed = server.versionsOf(`credkit-${key.id}`)[0];
    await client.setSecret(`credkit-${key.id}`, "never-committed", {
      contentType: "application/vnd.credkit.record+json;v=1",
      tags: {
        ...committed?.tags,
        "credkit-version": "2",
        "credkit-state": "pending",
        "credkit-claim": "0000000000000000",
      },
    });
    expect((await backend.get(key))?.value).toBe("committed-1");
    expect(await backend.get(key, { version: 2 })).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await backend.put(key, { value: "committed-2", metadata: metadataFor(tenant, "ghost") })).toEqual({
      version: 2,
    });
    expect((await backend.get(key))?.value).toBe("committed-2");
  });
});

describe("azure key vault: failures", () => {
  beforeEach(() => {
    server.clearFaults();
    server.latencyMs = 0;
  });

  it("retries 429 (Retry-After) and 503, then succeeds", async () => {
    const backend = backendWith({ retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 5_000 } });
    const key = encodeKey(uniqueId(), "throttle", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "throttle") });
    server.inject({ status: 429, retryAfter: "0", times: 2 });
    server.inject({ status: 503, times: 1 });
    const before = server.requests.length;
    expect((await backend.get(key))?.value).toBe("v");
    const statuses = server.requests.slice(before).map((request) => request.status);
    expect(statuses).toEqual([429, 429, 503, 200]);
  });

  it("waits what Retry-After asks (within maxDelayMs) rather than its own short backoff", async () => {
    const backend = backendWith({
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5_000, timeoutMs: 5_000 },
    });
    const key = encodeKey(uniqueId(), "after", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "after") });
    server.inject({ status: 429, retryAfter: "1", times: 1 });
    const before = server.requests.length;
    expect((await backend.get(key))?.value).toBe("v");
    const [throttled, retried] = server.requests.slice(before);
    expect([throttled?.status, retried?.status]).toEqual([429, 200]);
    // why: a lower bound only (timers never fire early); the backoff alone would wait at most 1 ms.
    expect((retried?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("surfaces persistent throttling as ThrottledError after bounded attempts, and 503 as UnavailableError", async () => {
    const backend = backendWith({ retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 5_000 } });
    const key = encodeKey(uniqueId(), "throttle", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "throttle") });
    server.inject({ status: 429, retryAfter: "3600", times: 100 });
    let before = server.requests.length;
    const throttled = await backend.get(key).catch((e: unknown) => e);
    expect(ThrottledError.isInstance(throttled)).toBe(true);
    expect(server.requests.length - before).toBe(3);
    assertNoLeak(throttled, TOKEN);
    server.clearFaults();
    server.inject({ status: 503, times: 100 });
    before = server.requests.length;
    const unavailable = await backend.get(key).catch((e: unknown) => e);
    expect(UnavailableError.isInstance(unavailable)).toBe(true);
    expect(server.requests.length - before).toBe(3);
    server.clearFaults();
    expect((await backend.get(key))?.value).toBe("v");
  });

  it("bounds a slow vault with the per-attempt timeout", async () => {
    const backend = backendWith({ retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10, timeoutMs: 100 } });
    const key = encodeKey(uniqueId(), "slow", backend.capabilities.maxKeyLength);
    server.latencyMs = 400;
    const error = await backend.get(key).catch((e: unknown) => e);
    server.latencyMs = 0;
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/\[azure\] Call timed out after 100 ms/);
  });

  it("maps a refused token (401) and a missing permission (403) to AuthError, never leaking the token", async () => {
    const wrong = canary("kv-wrong-token");
    const refused = await backendWith({ credential: tokenCredential(wrong) })
      .get(encodeKey("t", "auth", 119))
      .catch((e: unknown) => e);
    expect(AuthError.isInstance(refused)).toBe(true);
    assertNoLeak(refused, wrong);
    const reader = backendWith({ credential: tokenCredential(READ_ONLY_TOKEN) });
    const key = encodeKey(uniqueId(), "auth", reader.capabilities.maxKeyLength);
    const forbidden = await reader
      .put(key, { value: "v", metadata: metadataFor("t", "auth") })
      .catch((e: unknown) => e);
    expect(AuthError.isInstance(forbidden)).toBe(true);
    expect((forbidden as Error).message).toMatch(/Key Vault Secrets Officer/);
    assertNoLeak(forbidden, READ_ONLY_TOKEN);
    expect(await reader.get(key)).toBeUndefined();
  });

  it("scrubs the client secret from identity errors", async () => {
    const clientSecret = canary("client-secret");
    class ClientSecretCredential {
      async getToken(): Promise<never> {
        throw Object.assign(new Error(`AADSTS7000215: Invalid client secret provided: ${clientSecret}`), {
          name: "AuthenticationError",
        });
      }
    }
    const backend = backendWith({
      credential: "client-secret",
      tenantId: "tenant-id",
      clientId: "client-id",
      clientSecret,
      lib: { identity: { ClientSecretCredential } as never },
    });
    const error = await backend.get(encodeKey("t", "secret", 119)).catch((e: unknown) => e);
    expect(AuthError.isInstance(error)).toBe(true);
    assertNoLeak(error, clientSecret);
  });
});

describe("azure key vault: record guard", () => {
  it("masked forms round-trip; a secret value edited to malformed metadata is IntegrityError", async () => {
    const backend = backendWith();
    const key = encodeKey(uniqueId("guard"), "guarded", backend.capabilities.maxKeyLength);
    await proveRecordGuard(backend, key, () => {
      for (const version of server.versionsOf(`credkit-${key.id}`)) {
        const record = JSON.parse(version.value);
        (version as { value: string }).value = JSON.stringify({
          ...record,
          metadata: malformed(record.metadata),
        });
      }
    });
  });
});

describe("azure key vault: issue 13 item 18", () => {
  beforeEach(() => server.clearFaults());

  it("issue 13 item 18: a wrong client secret (AuthenticationRequiredError, CredentialUnavailableError) is AuthError, not retried", async () => {
    for (const name of ["AuthenticationRequiredError", "CredentialUnavailableError"]) {
      const clientSecret = canary("wrong-client-secret");
      let calls = 0;
      class ClientSecretCredential {
        async getToken(): Promise<never> {
          calls++;
          throw Object.assign(new Error(`AADSTS7000215: Invalid client secret provided: ${clientSecret}`), {
            name,
          });
        }
      }
      const backend = backendWith({
        credential: "client-secret",
        tenantId: "tenant-id",
        clientId: "client-id",
        clientSecret,
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5_000 },
        lib: { identity: { ClientSecretCredential } as never },
      });
      const error = await backend.get(encodeKey("t", "wrong-secret", 119)).catch((e: unknown) => e);
      expect([name, AuthError.isInstance(error), calls]).toEqual([name, true, 1]);
      assertNoLeak(error, clientSecret);
    }
  });

  it("issue 13 item 18: Key Vault's inner error code is read from the structured error details, not the message text", async () => {
    const backend = backendWith({ retry: { attempts: 1, timeoutMs: 5_000 } });
    const key = encodeKey(uniqueId(), "inner", backend.capabilities.maxKeyLength);
    await backend.put(key, { value: "v", metadata: metadataFor("t", "inner") });
    // A 403 on the latest version whose message says nothing about disabling: only
    // innererror.code says SecretDisabled, so the read skips the disabled version and serves
    // the committed one.
    server.inject({
      status: 403,
      method: "GET",
      pathPrefix: `/secrets/credkit-${key.id}`,
      code: "Forbidden",
      message: "Operation get is not allowed.",
      inner: "SecretDisabled",
    });
    expect((await backend.get(key))?.value).toBe("v");
    // Message text saying "disabled" without the inner code is an ordinary refusal.
    server.inject({
      status: 403,
      method: "GET",
      code: "Forbidden",
      message: "Operation get is not allowed on a disabled secret.",
    });
    expect(AuthError.isInstance(await backend.get(key).catch((e: unknown) => e))).toBe(true);
  });
});

describe("azure key vault: configuration", () => {
  const identityStub = () => {
    const built: Array<[string, unknown[]]> = [];
    const make = (name: string) =>
      class {
        constructor(...args: unknown[]) {
          built.push([name, args]);
        }
        async getToken() {
          return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
        }
      };
    return {
      built,
      lib: {
        DefaultAzureCredential: make("default"),
        ClientSecretCredential: make("client-secret"),
        ManagedIdentityCredential: make("managed-identity"),
      } as never,
    };
  };

  it("builds DefaultAzureCredential by default, client secret or managed identity by option", async () => {
    for (const [credential, env, expected] of [
      [undefined, {}, ["default", []]],
      [
        "client-secret",
        { AZURE_TENANT_ID: "tid", AZURE_CLIENT_ID: "cid", AZURE_CLIENT_SECRET: "client-secret-value" },
        ["client-secret", ["tid", "cid", "client-secret-value"]],
      ],
      ["managed-identity", {}, ["managed-identity", []]],
      ["managed-identity", { AZURE_CLIENT_ID: "uami" }, ["managed-identity", [{ clientId: "uami" }]]],
    ] as const) {
      const stub = identityStub();
      const backend = azureKeyVaultBackend({
        endpoint: server.url,
        clientOptions: CLIENT_OPTIONS,
        env: { ...env, ...(credential ? { CREDKIT_AZURE_CREDENTIAL: credential } : {}) },
        lib: { identity: stub.lib },
      });
      await backend.get(encodeKey("t", "cfg", backend.capabilities.maxKeyLength));
      expect(stub.built).toEqual([expected]);
    }
  });

  it("names every missing variable at once", async () => {
    expect(definition.missingVariables({})).toEqual(["AZURE_KEY_VAULT_URL"]);
    expect(definition.missingVariables({ CREDKIT_AZURE_CREDENTIAL: "client-secret" })).toEqual([
      "AZURE_KEY_VAULT_URL",
      "AZURE_TENANT_ID",
      "AZURE_CLIENT_ID",
      "AZURE_CLIENT_SECRET",
    ]);
    expect(
      definition.missingVariables({
        AZURE_KEY_VAULT_URL: "https://v.vault.azure.net",
        CREDKIT_AZURE_CREDENTIAL: "nope",
      }),
    ).toEqual(["CREDKIT_AZURE_CREDENTIAL"]);
    const error = await createCredentialManager({ backend: "azure", env: {} }).catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).missing).toEqual([
      "AZURE_KEY_VAULT_URL",
      "CREDENTIAL_ENCRYPTION_KEY",
    ]);
    const manager = await createCredentialManager({
      backend: "azure-key-vault",
      env: { AZURE_KEY_VAULT_URL: "https://v.vault.azure.net", CREDENTIAL_ENCRYPTION_KEY: "a".repeat(64) },
    });
    expect(manager.backend.name).toBe("azure");
    expect(() => azureKeyVaultBackend({ env: {} })).toThrow(ConfigurationError);
    expect(() =>
      azureKeyVaultBackend({ env: { AZURE_KEY_VAULT_URL: "https://v", CREDKIT_AZURE_ON_DELETED: "wait" } }),
    ).toThrow(ConfigurationError);
  });
});
