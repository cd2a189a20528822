/**
 * Vault-specific behaviour through node-vault over HTTP to the loopback Vault: storage layout,
 * CAS under 20 concurrent rotates, deleted vs never-existed versions, namespaces, token
 * renewal and re-login, static-token expiry, faults, stale-if-error, env config, canaries.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodeVault from "node-vault";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  definition,
  type VaultClientSettings,
  type VaultSharedOptions,
  type VaultTokenEvent,
  vaultBackend,
} from "../../src/backends/vault/index.js";
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
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";
import { makeCertificates } from "../support/certificates.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A, uniqueId } from "../support/fixtures.js";
import { tapOutput } from "../support/output.js";
import { malformed, proveRecordGuard } from "../support/record-guard.js";

for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_PREFIX", "VAULT_SKIP_VERIFY"]) {
  delete process.env[name];
}

const FAST_RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

let server: VaultServer;
let directory: string;
const backends: Backend[] = [];

/** Options of a backend credkit builds the client of (no `client`). */
type BuiltClientOptions = VaultSharedOptions & VaultClientSettings;

function backend(options: BuiltClientOptions = {}): Backend {
  const created = vaultBackend({
    endpoint: server.url,
    auth: { method: "token", token: server.rootToken },
    retry: FAST_RETRY,
    ...options,
  });
  backends.push(created);
  return created;
}

function manager(of: Backend): CredentialManager {
  return new CredentialManager({ backend: of, encryption: keyring(), cache: false });
}

const until = async (condition: () => boolean, what: string, limitMs = 10_000) => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

beforeAll(async () => {
  server = await startVaultServer({ mounts: ["secret", "kv-team"] });
  directory = await mkdtemp(join(tmpdir(), "credkit-vault-"));
});

afterAll(async () => {
  for (const created of backends) await created.close?.();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

describe("vault: storage layout", () => {
  it("keeps the payload in the secret body and the metadata in custom_metadata", async () => {
    const store = backend({ prefix: "apps/credkit" });
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "openai", store.capabilities.maxKeyLength);
    await manager(store).storeCredentials("openai", tenant, { apiKey: canary() }, { type: "api_key" });
    const stored = server.peek(`secret/apps/credkit/${key.tenantSegment}/${key.connectionSegment}`);
    expect(stored).toBeDefined();
    const body = stored?.data as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["payload", "ref"]);
    expect(JSON.stringify(body)).not.toContain(tenant);
    expect(JSON.stringify(stored?.customMetadata)).toContain(tenant);
    expect(JSON.stringify(stored?.customMetadata)).toContain("api_key");
    // why: lists go out as GET ?list=true (noCustomHTTPVerbs): Node's HTTP parser (and so this
    // server) cannot take the LIST verb, so only the GET form can be seen here.
    const before = server.requests.length;
    const listed = await manager(store).listCredentials(tenant);
    expect(listed.items.map((item) => item.connectionId)).toEqual(["openai"]);
    expect(
      server.requests
        .slice(before)
        .filter((request) => request.path.startsWith("secret/metadata/") && request.path.endsWith("/"))
        .map((request) => [request.method, request.path, request.query]),
    ).toEqual([["GET", `secret/metadata/apps/credkit/${key.tenantSegment}/`, "list=1"]]);
  });

  it("keeps each version's own metadata: a pinned read reports that version's type", async () => {
    const store = backend();
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "c", store.capabilities.maxKeyLength);
    const credentials = manager(store);
    await credentials.storeCredentials("c", tenant, { apiKey: "first-value-001" }, { type: "api_key" });
    await credentials.storeCredentials("c", tenant, { token: "second-value-002" }, { type: "bearer_token" });
    expect((await store.get(key, { version: 1 }))?.metadata.type).toBe("api_key");
    expect((await store.get(key, { version: 2 }))?.metadata.type).toBe("bearer_token");
  });

  it("prunes entries of versions Vault no longer keeps", async () => {
    const store = backend({ maxVersions: 3 });
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "c", store.capabilities.maxKeyLength);
    const credentials = manager(store);
    for (let index = 0; index < 8; index++) {
      await credentials.storeCredentials("c", tenant, { apiKey: `value-number-${index}` });
    }
    const custom = server.peek(
      `secret/credkit/${key.tenantSegment}/${key.connectionSegment}`,
    )?.customMetadata;
    const versions = new Set(Object.keys(custom as object).map((name) => name.split(".")[1]));
    expect([...versions].map(Number).every((version) => version >= 5)).toBe(true);
    expect((await credentials.describeCredentials("c", tenant)).version).toBe(8);
    expect(await store.get(key, { version: 2 })).toBeUndefined();
  });
});

describe("vault: versions, CAS and deletes", () => {
  it("20 concurrent rotates: each gets a distinct version or a conflict, and none is lost", async () => {
    const store = backend({ maxVersions: 50 });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("hot", tenant, { apiKey: "initial-value-000" });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        credentials.rotateCredentials("hot", tenant, { apiKey: `rotated-value-${index}` }),
      ),
    );
    const versions = new Map<number, number>();
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === "rejected") {
        expect(ConflictError.isInstance(outcome.reason)).toBe(true);
        continue;
      }
      expect(versions.has(outcome.value.version)).toBe(false);
      versions.set(outcome.value.version, index);
    }
    expect(versions.size).toBeGreaterThan(0);
    for (const [version, index] of versions) {
      const read = await credentials.getCredentials("hot", tenant, { version });
      expect(read.apiKey?.reveal()).toBe(`rotated-value-${index}`);
    }
    const latest = await credentials.describeCredentials("hot", tenant);
    expect(latest.version).toBe(1 + versions.size);
  });

  it("tells a deleted or destroyed version from one that never existed", async () => {
    const store = backend();
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    const key = encodeKey(tenant, "v", store.capabilities.maxKeyLength);
    await credentials.storeCredentials("v", tenant, { apiKey: "version-1-value" });
    await credentials.storeCredentials("v", tenant, { apiKey: "version-2-value" });
    const raw = nodeVault({ endpoint: server.url, token: server.rootToken, noCustomHTTPVerbs: true });
    const path = `credkit/${key.tenantSegment}/${key.connectionSegment}`;
    await raw.write(`secret/destroy/${path}`, { versions: [1] });
    const destroyed = await store.get(key, { version: 1 }).catch((error: unknown) => error);
    expect(DeletedError.isInstance(destroyed)).toBe(true);
    expect((destroyed as DeletedError).state).toBe("destroyed");
    expect(await store.get(key, { version: 7 })).toBeUndefined();
    await store.delete(key);
    const deleted = await store.get(key).catch((error: unknown) => error);
    expect((deleted as DeletedError).state).toBe("deleted");
    const pinned = await store.get(key, { version: 2 }).catch((error: unknown) => error);
    expect(DeletedError.isInstance(pinned)).toBe(true);
    await store.restore?.(key);
    expect((await store.get(key))?.version).toBe(2);
    await store.delete(key, { purge: true });
    expect(await store.get(key)).toBeUndefined();
    expect(server.keys().includes(`credkit/${key.tenantSegment}/${key.connectionSegment}`)).toBe(false);
  });
});

describe("vault: record guard", () => {
  it("masked forms round-trip; a custom_metadata entry edited to malformed metadata is IntegrityError", async () => {
    const store = backend();
    const key = encodeKey(uniqueId("guard"), "guarded", store.capabilities.maxKeyLength);
    await proveRecordGuard(store, key, () => {
      const custom = server.peek(`secret/credkit/${key.tenantSegment}/${key.connectionSegment}`)
        ?.customMetadata as Record<string, string>;
      const names = Object.keys(custom).filter((name) => name.startsWith("credkit."));
      const metadata = JSON.parse(names.map((name) => custom[name]).join(""));
      for (const name of names) delete custom[name];
      custom[`${names[0]?.split(".").slice(0, 3).join(".")}.0`] = JSON.stringify(malformed(metadata));
    });
  });
});

describe("vault: a ready client or client settings", () => {
  it("uses a given node-vault client as is, and refuses it beside endpoint, namespace or tls", async () => {
    const client = nodeVault({ endpoint: server.url, token: server.rootToken });
    const given = vaultBackend({ client, retry: FAST_RETRY });
    backends.push(given);
    const tenant = uniqueId("tenant");
    await manager(given).storeCredentials("given", tenant, { apiKey: "given-client-value-1" });
    expect((await manager(backend()).getCredentials("given", tenant)).apiKey?.reveal()).toBe(
      "given-client-value-1",
    );
    // @ts-expect-error: the types forbid a client with client settings; a JavaScript caller gets ConfigurationError.
    expect(() => vaultBackend({ client, endpoint: server.url })).toThrow(/got client and endpoint/);
    // @ts-expect-error: `client` and `namespace`, `tls` exclude each other.
    expect(() => vaultBackend({ client, namespace: "team-a", tls: {} })).toThrow(
      /got client and namespace, tls/,
    );
  });

  it("follows a standby's redirect to the active node, as node-vault's own transport does", async () => {
    const standby = createServer((request, response) => {
      response.writeHead(307, { location: `${server.url}${request.url}` }).end();
    });
    standby.listen(0, "127.0.0.1");
    await once(standby, "listening");
    try {
      const endpoint = `http://127.0.0.1:${(standby.address() as AddressInfo).port}`;
      const tenant = uniqueId("tenant");
      const before = server.requests.length;
      const redirected = manager(backend({ endpoint }));
      await redirected.storeCredentials("moved", tenant, { apiKey: "redirected-value-1" });
      expect((await redirected.getCredentials("moved", tenant)).apiKey?.reveal()).toBe("redirected-value-1");
      expect(server.requests.length).toBeGreaterThan(before);
    } finally {
      standby.close();
    }
  });
});

describe("vault: namespaces and mounts", () => {
  it("sends X-Vault-Namespace and keeps namespaces apart", async () => {
    const teamA = backend({ namespace: "team-a" });
    const root = backend();
    const tenant = uniqueId("tenant");
    const before = server.requests.length;
    await manager(teamA).storeCredentials("ns", tenant, { apiKey: "namespaced-value-1" });
    const sent = server.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.namespace === "team-a")).toBe(true);
    expect(server.keys("team-a").some((path) => path.includes("credkit/"))).toBe(true);
    const fromRoot = await manager(root)
      .getCredentials("ns", tenant)
      .catch((error: unknown) => error);
    expect(NotFoundError.isInstance(fromRoot)).toBe(true);
    expect((await manager(teamA).getCredentials("ns", tenant)).apiKey?.reveal()).toBe("namespaced-value-1");
  });
});

describe("vault: token lifecycle", () => {
  it("renews a renewable token at a fraction of its TTL and keeps working past the first TTL", async () => {
    const token = server.issueToken({ ttlSeconds: 1, maxTtlSeconds: 60 });
    const events: VaultTokenEvent[] = [];
    const store = backend({
      auth: { method: "token", token },
      renewFraction: 0.5,
      onTokenEvent: (event) => events.push(event),
    });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("r", tenant, { apiKey: "renewed-value-01" });
    await until(() => events.filter((event) => event.type === "renewed").length >= 3, "three renewals");
    expect(server.isValid(token)).toBe(true);
    expect((await credentials.getCredentials("r", tenant)).apiKey?.reveal()).toBe("renewed-value-01");
  });

  it("AppRole: logs in, then re-logs in transparently when the token expires mid-run", async () => {
    const secretId = canary("approle-secret");
    server.addAppRole("role-1", secretId, { ttlSeconds: 3600 }, "approle-ci");
    const events: VaultTokenEvent[] = [];
    const store = backend({
      auth: { method: "approle", roleId: "role-1", secretId, mount: "approle-ci" },
      onTokenEvent: (event) => events.push(event),
    });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    const before = server.logins.approle;
    for (let index = 0; index < 6; index++) {
      if (index === 3) server.expireAllTokens();
      await credentials.storeCredentials(`c${index}`, tenant, { apiKey: `approle-value-${index}` });
      expect((await credentials.getCredentials(`c${index}`, tenant)).apiKey?.reveal()).toBe(
        `approle-value-${index}`,
      );
    }
    expect(server.logins.approle - before).toBe(2);
    expect(events.filter((event) => event.type === "login")).toHaveLength(2);
    for (const event of events) assertNoLeak(event, secretId);
  });

  it("Kubernetes: reads the JWT from the token file at each login (custom mount)", async () => {
    const jwtFile = join(directory, "token");
    const firstJwt = canary("jwt-one");
    await writeFile(jwtFile, `${firstJwt}\n`);
    server.addKubernetesRole("web", firstJwt, { ttlSeconds: 3600 }, "k8s-prod");
    const store = backend({
      auth: { method: "kubernetes", role: "web", jwtPath: jwtFile, mount: "k8s-prod" },
      onTokenEvent: () => undefined,
    });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("k", tenant, { apiKey: "kubernetes-value-1" });
    // the kubelet rotates the projected token; Vault now only accepts the new one
    const secondJwt = canary("jwt-two");
    await writeFile(jwtFile, secondJwt);
    server.addKubernetesRole("web", secondJwt, { ttlSeconds: 3600 }, "k8s-prod");
    server.expireAllTokens();
    const before = server.logins.kubernetes;
    expect((await credentials.getCredentials("k", tenant)).apiKey?.reveal()).toBe("kubernetes-value-1");
    expect(server.logins.kubernetes - before).toBe(1);
  });

  it("a refused login is an AuthError that names the mount, not the secret", async () => {
    const wrong = canary("wrong-secret");
    server.addAppRole("role-2", canary("right-secret"));
    const store = backend({ auth: { method: "approle", roleId: "role-2", secretId: wrong } });
    const error = await manager(store)
      .getCredentials("x", uniqueId("tenant"))
      .catch((caught: unknown) => caught);
    expect(AuthError.isInstance(error)).toBe(true);
    expect(String(error)).toContain("auth/approle/login");
    assertNoLeak(error, wrong);
  });

  it("reports a static token that cannot be renewed before it expires, then fails typed", async () => {
    const token = server.issueToken({ ttlSeconds: 30, renewable: false });
    const events: VaultTokenEvent[] = [];
    const store = backend({ auth: { method: "token", token }, onTokenEvent: (event) => events.push(event) });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("s", tenant, { apiKey: "static-value-001" });
    const expiring = events.find((event) => event.type === "expiring");
    expect(expiring?.message).toContain("VAULT_TOKEN");
    expect(expiring?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    assertNoLeak(events, token);
    server.expireToken(token);
    const error = await credentials.getCredentials("s", tenant).catch((caught: unknown) => caught);
    expect(AuthError.isInstance(error)).toBe(true);
    assertNoLeak(error, token);
  });

  it("by default reports an expiring static token as a process warning", async () => {
    const token = server.issueToken({ ttlSeconds: 30, renewable: false });
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on("warning", listener);
    try {
      await manager(backend({ auth: { method: "token", token } })).listCredentials(uniqueId("tenant"));
      await until(() => warnings.length > 0, "a warning");
    } finally {
      process.off("warning", listener);
    }
    expect((warnings[0] as Error & { code?: string }).code).toBe("CREDKIT_VAULT_TOKEN");
    assertNoLeak(warnings, token);
  });

  it("timers never keep the process alive", async () => {
    const script = join(directory, "exit.mts");
    const root = process.cwd();
    await writeFile(
      script,
      `import { vaultBackend } from ${JSON.stringify(join(root, "src/backends/vault/index.ts"))};
import { startVaultServer } from ${JSON.stringify(join(root, "test/servers/vault/server.ts"))};
const server = await startVaultServer();
server.addAppRole("r", "s", { ttlSeconds: 3600 });
const backend = vaultBackend({ endpoint: server.url, auth: { method: "approle", roleId: "r", secretId: "s" } });
await backend.list();
await server.close();
console.log("done");
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | string>((resolve) => {
      const guard = setTimeout(() => {
        child.kill();
        resolve("still running: a timer kept it alive");
      }, 20_000);
      child.on("exit", (exitCode) => {
        clearTimeout(guard);
        resolve(exitCode ?? -1);
      });
    });
    expect(output).toContain("done");
    expect(code).toBe(0);
  });
});

describe("vault: faults", () => {
  it("retries 503, 429 and dropped connections, then succeeds", async () => {
    const store = backend();
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("f", tenant, { apiKey: "fault-value-0001" });
    server.inject({ match: /\/data\//, status: 503, times: 1 });
    server.inject({ match: /\/data\//, status: 429, times: 1 });
    expect((await credentials.getCredentials("f", tenant)).apiKey?.reveal()).toBe("fault-value-0001");
    server.inject({ match: /\/data\//, drop: true, times: 2 });
    expect((await credentials.getCredentials("f", tenant)).apiKey?.reveal()).toBe("fault-value-0001");
    server.clearFaults();
  });

  it("surfaces persistent faults as typed errors after a bounded number of attempts", async () => {
    const token = server.issueToken({ ttlSeconds: 3600 });
    const store = backend({ auth: { method: "token", token }, onTokenEvent: () => undefined });
    const credentials = manager(store);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("p", tenant, { apiKey: "persistent-value" });
    const cases: Array<[Parameters<VaultServer["inject"]>[0], (error: unknown) => boolean]> = [
      [{ status: 503 }, UnavailableError.isInstance],
      [{ status: 429 }, ThrottledError.isInstance],
      [{ drop: true }, UnavailableError.isInstance],
      [{ latencyMs: 400 }, UnavailableError.isInstance],
    ];
    for (const [fault, isExpected] of cases) {
      const before = server.requests.length;
      server.inject({ ...fault, match: /\/data\//, times: 100 });
      const slow = fault.latencyMs
        ? backend({ auth: { method: "token", token }, retry: { ...FAST_RETRY, timeoutMs: 100 } })
        : store;
      const error = await manager(slow)
        .getCredentials("p", tenant)
        .catch((caught: unknown) => caught);
      server.clearFaults();
      expect(isExpected(error)).toBe(true);
      const reads = server.requests.slice(before).filter((request) => request.path.includes("/data/"));
      expect(reads).toHaveLength(FAST_RETRY.attempts);
      assertNoLeak(error, token);
      if (fault.latencyMs) expect(String(error)).toContain("timed out");
    }
    expect((await credentials.getCredentials("p", tenant)).apiKey?.reveal()).toBe("persistent-value");
  });

  it("serves the last good value while Vault is down (stale-if-error through the core cache)", async () => {
    const store = backend();
    const cached = new CredentialManager({
      backend: store,
      encryption: keyring(),
      cache: { ttlMs: 1, maxStaleMs: 60_000 },
    });
    const tenant = uniqueId("tenant");
    await cached.storeCredentials("s", tenant, { apiKey: "last-good-value-1" });
    expect((await cached.getCredentials("s", tenant)).apiKey?.reveal()).toBe("last-good-value-1");
    await new Promise((resolve) => setTimeout(resolve, 5));
    server.inject({ match: /\/data\//, status: 503, times: 100 });
    try {
      expect((await cached.getCredentials("s", tenant)).apiKey?.reveal()).toBe("last-good-value-1");
    } finally {
      server.clearFaults();
    }
    const reads = cached.audit.events({ tenant, action: "read" }).map((event) => event.cache);
    expect(reads).toEqual(["miss", "stale"]);
  });
});

describe("vault: TLS", () => {
  let certificates: Awaited<ReturnType<typeof makeCertificates>>;
  let https: VaultServer;
  let mutual: VaultServer;
  beforeAll(async () => {
    certificates = await makeCertificates(directory);
    const tls = { cert: certificates.serverCert, key: certificates.serverKey };
    https = await startVaultServer({ tls });
    mutual = await startVaultServer({ tls: { ...tls, ca: certificates.ca, requireClientCertificate: true } });
  });
  afterAll(async () => {
    await https?.close();
    await mutual?.close();
  });
  const over = (target: VaultServer, options: BuiltClientOptions) =>
    backend({ endpoint: target.url, auth: { method: "token", token: target.rootToken }, ...options });

  it("verifies Vault's certificate against the CA bundle; an unknown CA is a configuration error, not retried", async () => {
    expect(https.url).toMatch(/^https:/);
    const tenant = uniqueId("tenant");
    const trusting = manager(over(https, { tls: { ca: certificates.ca } }));
    await trusting.storeCredentials("t", tenant, { apiKey: "over-tls-value-1" });
    expect((await trusting.getCredentials("t", tenant)).apiKey?.reveal()).toBe("over-tls-value-1");

    // why: node-vault itself would honour VAULT_SKIP_VERIFY; credkit skips only when asked.
    process.env.VAULT_SKIP_VERIFY = "true";
    const before = https.requests.length;
    let refused: unknown;
    try {
      refused = await manager(over(https, {}))
        .getCredentials("t", tenant)
        .catch((error: unknown) => error);
    } finally {
      delete process.env.VAULT_SKIP_VERIFY;
    }
    expect(ConfigurationError.isInstance(refused)).toBe(true);
    expect(String(refused)).toContain("VAULT_CACERT");
    expect(https.requests.length).toBe(before);

    const skipping = manager(over(https, { tls: { insecureSkipVerify: true } }));
    expect((await skipping.getCredentials("t", tenant)).apiKey?.reveal()).toBe("over-tls-value-1");
  });

  it("refuses a standby's redirect from https to plain http: the token is never sent unencrypted", async () => {
    const standby = createHttpsServer(
      { cert: certificates.serverCert, key: certificates.serverKey },
      (request, response) => {
        response.writeHead(307, { location: `${server.url}${request.url}` }).end();
      },
    );
    standby.listen(0, "127.0.0.1");
    await once(standby, "listening");
    try {
      const endpoint = `https://127.0.0.1:${(standby.address() as AddressInfo).port}`;
      const token = server.rootToken;
      const before = server.requests.length;
      const refused = await manager(
        backend({ endpoint, auth: { method: "token", token }, tls: { ca: certificates.ca } }),
      )
        .getCredentials("downgraded", uniqueId("tenant"))
        .catch((error: unknown) => error);
      expect(ConfigurationError.isInstance(refused)).toBe(true);
      expect(String(refused)).toContain("from https to http:");
      expect(String(refused)).not.toContain(token);
      expect(server.requests.length).toBe(before);
    } finally {
      standby.close();
    }
  });

  it("presents a client certificate where Vault requires one, also from VAULT_CACERT / VAULT_CLIENT_CERT / VAULT_CLIENT_KEY", async () => {
    const tenant = uniqueId("tenant");
    const without = await manager(
      over(mutual, { tls: { ca: certificates.ca }, retry: { ...FAST_RETRY, attempts: 1 } }),
    )
      .getCredentials("m", tenant)
      .catch((error: unknown) => error);
    expect(UnavailableError.isInstance(without)).toBe(true);
    expect(mutual.requests).toHaveLength(0);

    const files = {
      VAULT_CACERT: join(directory, "ca.pem"),
      VAULT_CLIENT_CERT: join(directory, "client.pem"),
      VAULT_CLIENT_KEY: join(directory, "client.key"),
    };
    const credentials = await createCredentialManager({
      backend: "vault",
      cache: false,
      env: {
        VAULT_ADDR: mutual.url,
        VAULT_TOKEN: mutual.rootToken,
        CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A,
        ...files,
      },
    });
    backends.push(credentials.backend);
    await credentials.storeCredentials("m", tenant, { apiKey: "mutual-tls-value" });
    expect((await credentials.getCredentials("m", tenant)).apiKey?.reveal()).toBe("mutual-tls-value");
    expect(mutual.requests.length).toBeGreaterThan(0);
  });
});

describe("vault: configuration from the environment", () => {
  it("lists every missing variable at once", () => {
    expect(definition.missingVariables({})).toEqual([
      "VAULT_ADDR",
      "VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID, or VAULT_K8S_ROLE)",
    ]);
    expect(definition.missingVariables({ VAULT_ADDR: "http://x", VAULT_K8S_ROLE: "web" })).toEqual([]);
    const documented = definition.variables.map((variable) => variable.name);
    for (const name of [
      "VAULT_ADDR",
      "VAULT_TOKEN",
      "VAULT_NAMESPACE",
      "VAULT_KV_MOUNT",
      "VAULT_ROLE_ID",
      "VAULT_SECRET_ID",
      "VAULT_K8S_ROLE",
    ]) {
      expect(documented).toContain(name);
    }
  });

  it("createCredentialManager({ backend: 'vault' }) with AppRole, namespace and mount from env", async () => {
    const secretId = canary("env-secret");
    server.addAppRole("env-role", secretId);
    const env = {
      VAULT_ADDR: server.url,
      VAULT_ROLE_ID: "env-role",
      VAULT_SECRET_ID: secretId,
      VAULT_NAMESPACE: "team-env",
      VAULT_KV_MOUNT: "kv-team",
      CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A,
    };
    const credentials = await createCredentialManager({ backend: "vault", env, cache: false });
    backends.push(credentials.backend);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("e", tenant, { apiKey: "from-env-value-1" });
    expect((await credentials.getCredentials("e", tenant)).apiKey?.reveal()).toBe("from-env-value-1");
    expect(server.keys("team-env", "kv-team").length).toBeGreaterThan(0);
  });
});

describe("vault: canaries", () => {
  it("a canary token never appears in errors, events, warnings or console output", async () => {
    const token = `hvs.${canary("token")}`;
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on("warning", listener);
    const output = tapOutput();
    const errors: unknown[] = [];
    try {
      const store = backend({ auth: { method: "token", token } });
      const credentials = manager(store);
      const tenant = uniqueId("tenant");
      errors.push(await credentials.getCredentials("c", tenant).catch((caught: unknown) => caught));
      errors.push(
        await credentials
          .storeCredentials("c", tenant, { apiKey: "x".repeat(20) })
          .catch((caught: unknown) => caught),
      );
      errors.push(await credentials.listCredentials(tenant).catch((caught: unknown) => caught));
      server.inject({ status: 503, times: 100 });
      errors.push(await credentials.getCredentials("c", tenant).catch((caught: unknown) => caught));
      server.clearFaults();
      const unreachable = backend({ endpoint: "http://127.0.0.1:9", auth: { method: "token", token } });
      errors.push(
        await manager(unreachable)
          .getCredentials("c", tenant)
          .catch((caught: unknown) => caught),
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      output.restore();
      process.off("warning", listener);
      server.clearFaults();
    }
    expect(errors.every((error) => error instanceof Error)).toBe(true);
    expect(AuthError.isInstance(errors[0])).toBe(true);
    expect(UnavailableError.isInstance(errors[4])).toBe(true);
    for (const error of errors) assertNoLeak(error, token);
    assertNoLeak(warnings, token);
    assertNoLeak(output.text(), token);
  });
});
