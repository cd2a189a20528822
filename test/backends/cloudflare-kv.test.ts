import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { httpTransport } from "../../src/backends/cloudflare-kv/http.js";
import {
  type CloudflareKvHttpOptions,
  cloudflareKvBackend,
  definition,
} from "../../src/backends/cloudflare-kv/index.js";
import type { Backend } from "../../src/core/backend.js";
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
} from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import type { RetryOptions } from "../../src/core/retry.js";
import { undiciSender } from "../../src/kit/http-exchange.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { runCloudflareKvCases } from "../servers/cloudflare-kv/cases.js";
import { type CloudflareKvServer, startCloudflareKvServer } from "../servers/cloudflare-kv/server.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A, uniqueId } from "../support/fixtures.js";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const NAMESPACE = "fedcba9876543210fedcba9876543210";
const TOKEN = "cf-test-token-0000000000000000000000000000";
let server: CloudflareKvServer;

beforeAll(async () => {
  server = await startCloudflareKvServer({ accountId: ACCOUNT, namespaceId: NAMESPACE, apiToken: TOKEN });
});
afterAll(async () => {
  await server?.close();
});

runBackendContract({
  name: "cloudflare (http, loopback REST API)",
  create: async () =>
    cloudflareKvBackend({
      accountId: ACCOUNT,
      namespaceId: NAMESPACE,
      apiToken: TOKEN,
      endpoint: server.baseUrl,
      env: {},
    }),
});

const rest = { accountId: ACCOUNT, namespaceId: NAMESPACE, apiToken: TOKEN };

runCloudflareKvCases("http", () => ({
  create: (options) => cloudflareKvBackend({ ...rest, endpoint: server.baseUrl, env: {}, ...options }),
  transport: () =>
    httpTransport({ ...rest, endpoint: server.baseUrl, send: undiciSender, timeoutMs: 10_000 }),
}));

const backendWith = (options: Partial<CloudflareKvHttpOptions> = {}) =>
  cloudflareKvBackend({ ...rest, endpoint: server.baseUrl, env: {}, prefix: `r${uniqueId()}/`, ...options });
const managerOf = (backend: Backend) =>
  new CredentialManager({ backend, encryption: keyring(), cache: false });
const fast: RetryOptions = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000 };

describe("cloudflare KV REST specifics", () => {
  beforeEach(() => {
    server.latencyMs = 0;
    server.writeIntervalMs = 0;
    server.unfreeze();
    server.clearFaults();
  });

  it("the REST transport keeps its API token out of its own properties (spread, JSON, inspect)", () => {
    const token = canary("cf-token");
    const transport = httpTransport({
      ...rest,
      apiToken: token,
      endpoint: server.baseUrl,
      send: undiciSender,
      timeoutMs: 10_000,
    });
    expect(transport.secrets()).toEqual([token]);
    assertNoLeak({ ...transport }, token);
    assertNoLeak(Object.entries(transport), token);
    assertNoLeak(transport, token);
  });

  it("speaks the REST API: multipart for heads with metadata, raw bodies for versions, bulk get for batches", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    const start = server.requests.length;
    await manager.storeCredentials("one", tenant, { apiKey: "wire-value-0001" });
    const puts = server.requests.slice(start).filter((request) => request.method === "PUT");
    expect(puts.map((request) => [request.path.split("%2F")[1], request.contentType?.split(";")[0]])).toEqual(
      [
        ["v", "text/plain"],
        ["c", "multipart/form-data"],
      ],
    );
    expect(puts.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);

    const names = Array.from({ length: 150 }, (_, index) => `n${index}`);
    const batchStart = server.requests.length;
    const results = await manager.getManyCredentials(
      names.map((connectionId) => ({ connectionId, userId: tenant })),
    );
    expect(results.every((result) => !result.ok && NotFoundError.isInstance(result.error))).toBe(true);
    expect(server.requests.slice(batchStart).map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /bulk/get",
      "POST /bulk/get",
    ]);
  });

  it("retries 429 and 5xx with bounded attempts, then fails typed", async () => {
    const manager = managerOf(backendWith({ retry: fast }));
    const tenant = uniqueId("tenant");
    server.failNext({ status: 429, code: 10022, count: 2 });
    await manager.storeCredentials("r", tenant, { apiKey: "retry-value-0001" });
    expect((await manager.getCredentials("r", tenant)).apiKey?.reveal()).toBe("retry-value-0001");

    const before = server.requests.length;
    server.failNext({ status: 503, count: 100 });
    const unavailable = await manager.getCredentials("r", tenant).catch((e: unknown) => e);
    expect(UnavailableError.isInstance(unavailable)).toBe(true);
    expect(server.requests.length - before).toBe(fast.attempts);
    server.clearFaults();
    server.failNext({ status: 429, code: 10022, count: 100 });
    const throttled = await manager.getCredentials("r", tenant).catch((e: unknown) => e);
    expect(ThrottledError.isInstance(throttled)).toBe(true);
    server.clearFaults();
  });

  let fetchCalls = 0;
  const countingFetch: typeof fetch = (input, init) => {
    fetchCalls++;
    return fetch(input, init);
  };
  it.each([
    ["undici's request", {}],
    ["a given fetch", { fetch: countingFetch }],
  ])(
    "over %s, times out slow attempts as UnavailableError, and works when latency is within the limit",
    async (_, sender) => {
      const fetchCallsBefore = fetchCalls;
      const manager = managerOf(backendWith({ ...sender, retry: { ...fast, attempts: 2, timeoutMs: 100 } }));
      const tenant = uniqueId("tenant");
      await manager.storeCredentials("slow", tenant, { apiKey: "slow-value-0001" });
      server.latencyMs = 400;
      const before = server.requests.length;
      const error = await manager.getCredentials("slow", tenant).catch((e: unknown) => e);
      expect(UnavailableError.isInstance(error)).toBe(true);
      expect(server.requests.length - before).toBe(2);
      server.latencyMs = 20;
      expect((await manager.getCredentials("slow", tenant)).apiKey?.reveal()).toBe("slow-value-0001");
      expect(fetchCalls > fetchCallsBefore).toBe("fetch" in sender);
    },
  );

  it("maps auth failures, a wrong namespace and a wrong URL to typed errors, never to 'missing'", async () => {
    const tenant = uniqueId("tenant");
    const before = server.requests.length;
    const wrongToken = managerOf(backendWith({ apiToken: "cf-wrong-token-000000", retry: fast }));
    const auth = await wrongToken.getCredentials("x", tenant).catch((e: unknown) => e);
    expect(AuthError.isInstance(auth)).toBe(true);
    expect(server.requests.length - before).toBe(1);

    const revokedAt = server.requests.length;
    server.failNext({ status: 401, code: 9109, message: "Invalid access token" });
    const revoked = await managerOf(backendWith({ retry: fast }))
      .getCredentials("x", tenant)
      .catch((e: unknown) => e);
    expect(AuthError.isInstance(revoked)).toBe(true);
    expect(server.requests.length - revokedAt).toBe(1);

    const otherAccount = managerOf(
      backendWith({ accountId: "ffffffffffffffffffffffffffffffff", retry: fast }),
    );
    expect(
      AuthError.isInstance(await otherAccount.getCredentials("x", tenant).catch((e: unknown) => e)),
    ).toBe(true);

    const namespace = managerOf(
      backendWith({ namespaceId: "00000000000000000000000000000000", retry: fast }),
    );
    const missingNamespace = await namespace.getCredentials("x", tenant).catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(missingNamespace)).toBe(true);

    const wrongUrl = backendWith({ endpoint: `${server.baseUrl}/oops`, retry: fast });
    const key = encodeKey(tenant, "x", wrongUrl.capabilities.maxKeyLength);
    const noRoute = await wrongUrl.get(key).catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(noRoute)).toBe(true);
  });

  it("rides out KV's one-write-a-second limit on a key by retrying the 429", async () => {
    const manager = managerOf(backendWith({ retry: { attempts: 10, baseDelayMs: 50, maxDelayMs: 200 } }));
    const tenant = uniqueId("tenant");
    server.writeIntervalMs = 150;
    const before = server.requests.length;
    await manager.storeCredentials("hot", tenant, { apiKey: "rate-value-0001" });
    await manager.rotateCredentials("hot", tenant, { apiKey: "rate-value-0002" });
    expect(server.requests.slice(before).some((request) => request.status === 429)).toBe(true);
    expect((await manager.getCredentials("hot", tenant)).apiKey?.reveal()).toBe("rate-value-0002");
  });

  it("lets KV delete a credential at its expiration", async () => {
    const prefix = `x${uniqueId()}/`;
    const manager = managerOf(backendWith({ prefix, expiryGraceSeconds: 0 }));
    const tenant = uniqueId("tenant");
    await manager.storeCredentials(
      "e",
      tenant,
      { apiKey: "ttl-value-00001" },
      { expiresAt: new Date(Date.now() + 120_000) },
    );
    expect(server.keys().filter((key) => key.startsWith(prefix))).toHaveLength(2);
    server.advance(200);
    try {
      const error = await manager.getCredentials("e", tenant).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(error) && !DeletedError.isInstance(error)).toBe(true);
      expect(server.keys().filter((key) => key.startsWith(prefix))).toEqual([]);
    } finally {
      server.advance(-200);
    }
  });

  it("stale reads: this process reads its own writes; another sees the old head for a while, as documented", async () => {
    const prefix = `s${uniqueId()}/`;
    const writer = managerOf(backendWith({ prefix }));
    const other = managerOf(backendWith({ prefix }));
    const tenant = uniqueId("tenant");
    const backend = writer.backend;
    const head = `${prefix}c/${encodeKey(tenant, "s", backend.capabilities.maxKeyLength).id}`;

    server.freeze(head); // an edge cache that has seen "no such key"
    await writer.storeCredentials("s", tenant, { apiKey: "stale-value-001" });
    expect((await writer.getCredentials("s", tenant)).apiKey?.reveal()).toBe("stale-value-001");
    expect(NotFoundError.isInstance(await other.getCredentials("s", tenant).catch((e: unknown) => e))).toBe(
      true,
    );
    server.unfreeze();

    server.freeze(head); // the cache now holds version 1
    await writer.rotateCredentials("s", tenant, { apiKey: "stale-value-002" });
    expect((await writer.getCredentials("s", tenant)).apiKey?.reveal()).toBe("stale-value-002");
    expect((await writer.describeCredentials("s", tenant)).version).toBe(2);
    expect((await other.getCredentials("s", tenant)).apiKey?.reveal()).toBe("stale-value-001");
    // a compare-and-set from the stale side against the real version is refused, not applied blindly
    const conflict = await other
      .rotateCredentials("s", tenant, { apiKey: "stale-value-bad" }, { ifVersion: 2 })
      .catch((e: unknown) => e);
    expect(ConflictError.isInstance(conflict)).toBe(true);
    // this process keeps numbering from what it wrote: version 3, version 2 intact
    await writer.rotateCredentials("s", tenant, { apiKey: "stale-value-003" });
    expect((await writer.describeCredentials("s", tenant)).version).toBe(3);
    expect((await writer.getCredentials("s", tenant, { version: 2 })).apiKey?.reveal()).toBe(
      "stale-value-002",
    );
    await writer.deleteCredentials("s", tenant);
    expect(DeletedError.isInstance(await writer.getCredentials("s", tenant).catch((e: unknown) => e))).toBe(
      true,
    );
    server.unfreeze();

    expect(DeletedError.isInstance(await other.getCredentials("s", tenant).catch((e: unknown) => e))).toBe(
      true,
    );
    await other.restoreCredentials("s", tenant);
    expect((await other.getCredentials("s", tenant)).apiKey?.reveal()).toBe("stale-value-003");
  });

  it("never lets the API token reach an error, a cause chain or the console", async () => {
    const token = canary("cfat");
    const tokenServer = await startCloudflareKvServer({
      accountId: ACCOUNT,
      namespaceId: NAMESPACE,
      apiToken: token,
    });
    const output: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        output.push(args.map(String).join(" "));
      }),
    );
    const writes = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
        output.push(String(chunk));
        return true;
      }),
    );
    try {
      const backend = cloudflareKvBackend({
        ...rest,
        apiToken: token,
        endpoint: tokenServer.baseUrl,
        env: {},
        retry: fast,
      });
      assertNoLeak(backend, token);
      const manager = managerOf(backend);
      const tenant = uniqueId("tenant");
      await manager.storeCredentials("c", tenant, { apiKey: "canary-guarded-1" });
      const errors: unknown[] = [];
      // a proxy that echoes the Authorization header back in its error body
      tokenServer.failNext({
        status: 502,
        count: 10,
        message: `upstream refused Authorization: Bearer ${token}`,
      });
      errors.push(await manager.getCredentials("c", tenant).catch((e: unknown) => e));
      tokenServer.clearFaults();
      tokenServer.failNext({ status: 400, message: `bad request with token=${token}` });
      errors.push(
        await manager.storeCredentials("c", tenant, { apiKey: "x".repeat(20) }).catch((e: unknown) => e),
      );
      const other = cloudflareKvBackend({
        ...rest,
        apiToken: token,
        endpoint: server.baseUrl,
        env: {},
        retry: fast,
      });
      errors.push(
        await managerOf(other)
          .getCredentials("c", tenant)
          .catch((e: unknown) => e),
      );
      await tokenServer.close();
      errors.push(await manager.getCredentials("c", tenant, { forceRefresh: true }).catch((e: unknown) => e));
      expect(errors.map((error) => (error as { code?: string }).code)).toEqual([
        "unavailable",
        "validation",
        "auth",
        "unavailable",
      ]);
      for (const error of errors) assertNoLeak(error, token);
      expect(JSON.stringify(errors.map((error) => String((error as Error).cause)))).toContain("[REDACTED]");
      assertNoLeak(manager.audit.events(), token);
    } finally {
      for (const spy of [...spies, ...writes]) spy.mockRestore();
      await tokenServer.close();
    }
    expect(output.join("\n")).not.toContain(token);
  });

  it("is configured from the environment, naming every missing variable at once", async () => {
    const missing = (() => {
      try {
        cloudflareKvBackend({ env: {} });
      } catch (error) {
        return error;
      }
    })();
    expect(ConfigurationError.isInstance(missing)).toBe(true);
    expect((missing as ConfigurationError).missing).toEqual([
      "CLOUDFLARE_ACCOUNT_ID",
      "CLOUDFLARE_KV_NAMESPACE_ID",
      "CLOUDFLARE_API_TOKEN",
    ]);
    expect(definition.missingVariables({ CLOUDFLARE_ACCOUNT_ID: ACCOUNT })).toEqual([
      "CLOUDFLARE_KV_NAMESPACE_ID",
      "CLOUDFLARE_API_TOKEN",
    ]);
    const env = {
      VAULT_TYPE: "cloudflare",
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
      CLOUDFLARE_KV_NAMESPACE_ID: NAMESPACE,
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: server.baseUrl,
      CREDKIT_CLOUDFLARE_KV_PREFIX: `e${uniqueId()}/`,
      CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A,
    };
    const manager = await createCredentialManager({ env, cache: false });
    expect(manager.backend.name).toBe("cloudflare");
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("env", tenant, { apiKey: "from-env-value-1" });
    expect((await manager.getCredentials("env", tenant)).apiKey?.reveal()).toBe("from-env-value-1");
    expect(server.keys().some((key) => key.startsWith(env.CREDKIT_CLOUDFLARE_KV_PREFIX))).toBe(true);
  });
});
