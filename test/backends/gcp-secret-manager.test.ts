/**
 * The gcp backend through the official @google-cloud/secret-manager SDK, over real gRPC to the
 * loopback server in test/servers/gcp-secret-manager (and over REST fallback to a small HTTP
 * server for the REST error mapping). Nothing leaves 127.0.0.1: the metadata server is switched
 * off and the universe domain is explicit, so the SDK never goes looking for credentials.
 */
process.env.METADATA_SERVER_DETECTION = "none";
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;

import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createRequire } from "node:module";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  definition,
  type GcpClientSettings,
  type GcpStorageOptions,
  gcpSecretManagerBackend,
  type SecretManagerClient,
} from "../../src/backends/gcp-secret-manager/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  DeletedError,
  IntegrityError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { crc32c } from "../../src/kit/crc32c.js";
import { runBackendContract } from "../contract/backend-contract.js";
import {
  type GcpSecretManagerServer,
  startGcpSecretManagerServer,
} from "../servers/gcp-secret-manager/server.js";
import { assertNoLeak, canary, keyring, uniqueId } from "../support/fixtures.js";
import { type OutputTap, tapOutput } from "../support/output.js";
import { malformed, proveRecordGuard } from "../support/record-guard.js";

const require = createRequire(import.meta.url);
const sdkEntry = require.resolve("@google-cloud/secret-manager");
const sdk = require(sdkEntry) as {
  SecretManagerServiceClient: new (options: Record<string, unknown>) => SecretManagerClient;
};
// why: insecure channel credentials must come from the grpc-js copy google-gax itself uses.
const gaxRequire = createRequire(createRequire(sdkEntry).resolve("google-gax"));
const gax = gaxRequire("google-gax") as { grpc: { credentials: { createInsecure(): unknown } } };
const { PassThroughClient } = gaxRequire("google-auth-library") as { PassThroughClient: new () => unknown };
const UNIVERSE = "googleapis.com";
const FAST_RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 5000 };

let server: GcpSecretManagerServer;
const backends: Backend[] = [];

/** Options of a backend whose client credkit builds. */
type Settings = GcpStorageOptions & GcpClientSettings;

function grpcOptions(port: number, extra: Settings = {}): Settings {
  return {
    projectId: server.projectId,
    endpoint: `127.0.0.1:${port}`,
    universeDomain: UNIVERSE,
    clientOptions: { sslCreds: gax.grpc.credentials.createInsecure() },
    retry: FAST_RETRY,
    ...extra,
  };
}

function backendFor(options: Settings = {}, port = server.port): Backend {
  const backend = gcpSecretManagerBackend(grpcOptions(port, options));
  backends.push(backend);
  return backend;
}

function managerFor(backend: Backend): CredentialManager {
  return new CredentialManager({ backend, encryption: keyring(), cache: false });
}

/** A fresh backend on the loopback server, a manager over it and a tenant of its own. */
function fixture(tenantPrefix: string, options: Settings = {}) {
  const backend = backendFor(options);
  const tenant = uniqueId(tenantPrefix);
  return {
    backend,
    manager: managerFor(backend),
    tenant,
    key: (name: string) => encodeKey(tenant, name, backend.capabilities.maxKeyLength),
  };
}

/** An SDK client of our own on the loopback server (close it). */
function directClient(): SecretManagerClient {
  return new sdk.SecretManagerServiceClient({
    apiEndpoint: "127.0.0.1",
    port: server.port,
    universeDomain: UNIVERSE,
    sslCreds: gax.grpc.credentials.createInsecure(),
  });
}

/** Private-key canaries planted by the tests, and everything written to stdout and stderr. */
const planted: string[] = [];
let output: OutputTap;

beforeAll(async () => {
  server = await startGcpSecretManagerServer();
  output = tapOutput();
});

afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.close?.()));
  await server?.close();
  output.restore();
  // No planted private key reached stdout or stderr (SDK warnings and logs included).
  expect(planted.length).toBeGreaterThan(0);
  for (const keyBody of planted) assertNoLeak(output.text(), keyBody);
});

runBackendContract({
  name: "gcp (@google-cloud/secret-manager over gRPC, loopback server)",
  create: async () => backendFor(),
});

describe("gcp: CRC32C", () => {
  it("is Castagnoli CRC32C: the RFC 3720 B.4 vectors and the Secret Manager docs example", () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.from("a\n"))).toBe(163439259);
  });

  it("sends a checksum with every write, which the server verified", async () => {
    const { manager, tenant, key: keyOf } = fixture("crc");
    await manager.storeCredentials("c", tenant, { apiKey: "checksum-value-1" });
    await manager.rotateCredentials("c", tenant, { apiKey: "checksum-value-2" });
    const key = keyOf("c");
    const stored = server.secret(`credkit-${key.id}`);
    expect(stored?.versions.map((version) => version.clientChecksum)).toEqual([true, true]);
    const adds = server.calls.filter(
      (call) => call.method === "AddSecretVersion" && String(call.request.parent).endsWith(key.id),
    );
    expect(adds).toHaveLength(2);
    for (const add of adds) {
      const payload = add.request.payload as { data_crc32c?: string; _data_crc32c?: string };
      expect(payload._data_crc32c).toBe("data_crc32c");
      expect(Number(payload.data_crc32c)).toBeGreaterThan(0);
    }
  });

  it("rejects a corrupted payload with IntegrityError and returns no data", async () => {
    const { backend, manager, tenant, key: keyOf } = fixture("corrupt");
    const secret = canary();
    await manager.storeCredentials("c", tenant, { apiKey: secret });
    server.corruptNextAccess(1);
    const error = await manager.getCredentials("c", tenant).catch((e: unknown) => e);
    expect(IntegrityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/CRC32C/);
    assertNoLeak(error, secret);
    const raw = await backend
      .get(keyOf("c"))
      .then(() => "read")
      .catch((e: unknown) => e);
    expect(raw).toBe("read");
  });
});

describe("gcp: versions, states, concurrency", () => {
  it("concurrent unconditional rotates lose nothing: every value is a version of its own", async () => {
    const { manager, tenant } = fixture("race");
    await manager.storeCredentials("hot", tenant, { apiKey: "initial-value-0" });
    const values = Array.from({ length: 10 }, (_, index) => `rotated-value-${index}`);
    const results = await Promise.all(
      values.map((value) => manager.rotateCredentials("hot", tenant, { apiKey: value })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual([
      2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    const seen: string[] = [];
    for (let version = 2; version <= 11; version++) {
      const fields = await manager.getCredentials("hot", tenant, { version });
      seen.push(fields.apiKey?.reveal() ?? "");
    }
    expect(seen.sort()).toEqual([...values].sort());
  });

  it("a disabled version reads as disabled, a destroyed one as destroyed; soft delete and restore", async () => {
    const { backend, manager, tenant, key: keyOf } = fixture("states");
    await manager.storeCredentials("c", tenant, { apiKey: "state-value-one" });
    await manager.rotateCredentials("c", tenant, { apiKey: "state-value-two" });
    const key = keyOf("c");
    const name = `projects/${server.projectId}/secrets/credkit-${key.id}`;
    const client = directClient();
    try {
      await client.disableSecretVersion({ name: `${name}/versions/1` });
      const disabled = await backend.get(key, { version: 1 }).catch((e: unknown) => e);
      expect(DeletedError.isInstance(disabled)).toBe(true);
      expect((disabled as DeletedError).state).toBe("disabled");
      expect((await backend.get(key))?.version).toBe(2);
      await client.destroySecretVersion({ name: `${name}/versions/1` });
      const destroyed = await backend.get(key, { version: 1 }).catch((e: unknown) => e);
      expect((destroyed as DeletedError).state).toBe("destroyed");
    } finally {
      await client.close();
    }
    await manager.deleteCredentials("c", tenant);
    expect(server.secret(`credkit-${key.id}`)?.versions.map((version) => version.state)).toEqual([
      "DESTROYED",
      "DISABLED",
    ]);
    const deleted = await backend.get(key).catch((e: unknown) => e);
    expect((deleted as DeletedError).state).toBe("deleted");
    const pinnedWhileDeleted = await backend.get(key, { version: 2 }).catch((e: unknown) => e);
    expect(DeletedError.isInstance(pinnedWhileDeleted)).toBe(true);
    await manager.restoreCredentials("c", tenant);
    expect(server.secret(`credkit-${key.id}`)?.versions[1]?.state).toBe("ENABLED");
    await manager.purgeCredentials("c", tenant);
    expect(server.secret(`credkit-${key.id}`)).toBeUndefined();
  });

  it("a failed add releases its write claim: the next compare-and-set write gets the version", async () => {
    const { backend, manager, tenant, key: keyOf } = fixture("claim");
    const key = keyOf("c");
    await manager.storeCredentials("c", tenant, { apiKey: "claim-value-001" });
    server.fail("AddSecretVersion", 8, 1);
    // The refused add leaves nothing behind: the claim is released and the record stays at 1.
    const failed = await manager
      .rotateCredentials("c", tenant, { apiKey: "claim-value-002" })
      .catch((e: unknown) => e);
    expect(ThrottledError.isInstance(failed)).toBe(true);
    const again = await manager.rotateCredentials(
      "c",
      tenant,
      { apiKey: "claim-value-003" },
      { ifVersion: 1 },
    );
    expect(again.version).toBe(2);
    const stale = await backend
      .put(key, (await backend.get(key))!, { ifVersion: 1 })
      .catch((e: unknown) => e);
    expect(ConflictError.isInstance(stale)).toBe(true);
  });
});

describe("gcp: an add that times out", () => {
  it("keeps its claim, so a compare-and-set writer cannot slip in under the late add", async () => {
    const slowWriter = fixture("late", { retry: { attempts: 1, timeoutMs: 300 }, claimTtlMs: 5000 });
    const other = managerFor(backendFor());
    const { tenant } = slowWriter;
    await slowWriter.manager.storeCredentials("c", tenant, { apiKey: "late-value-001" });
    server.slow("AddSecretVersion", 700);
    const timedOut = await slowWriter.manager
      .rotateCredentials("c", tenant, { apiKey: "late-value-002" })
      .catch((e: unknown) => e);
    expect(UnavailableError.isInstance(timedOut)).toBe(true);
    const raced = await other
      .rotateCredentials("c", tenant, { apiKey: "late-value-003" }, { ifVersion: 1 })
      .catch((e: unknown) => e);
    expect(ConflictError.isInstance(raced)).toBe(true);
    // The late add lands as version 2; writers then go on from it.
    for (let tries = 0; (await other.describeCredentials("c", tenant)).version !== 2 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await other.getCredentials("c", tenant)).apiKey?.reveal()).toBe("late-value-002");
    const next = await other.rotateCredentials("c", tenant, { apiKey: "late-value-003" }, { ifVersion: 2 });
    expect(next.version).toBe(3);
  });
});

describe("gcp: record guard", () => {
  it("masked forms round-trip; a version payload whose metadata was edited is IntegrityError", async () => {
    const { backend, key } = fixture("guard");
    const guarded = key("guarded");
    await proveRecordGuard(backend, guarded, () => {
      const stored = server.secret(`credkit-${guarded.id}`);
      for (const version of stored?.versions ?? []) {
        const record = JSON.parse(String(version.data));
        version.data = Buffer.from(JSON.stringify({ ...record, metadata: malformed(record.metadata) }));
        version.crc32c = crc32c(version.data);
      }
    });
  });
});

describe("gcp: labels, annotations, names", () => {
  it("labels secrets with tenant and type, keeps metadata in annotations, fits every id in the rules", async () => {
    const { backend, manager, tenant, key: keyOf } = fixture("Labels Ωmega");
    await manager.storeCredentials(
      "conn/1",
      tenant,
      { token: "label-token-value" },
      { type: "bearer_token" },
    );
    const key = keyOf("conn/1");
    const stored = server.secret(`credkit-${key.id}`);
    expect(stored?.labels.credkit_tenant).toBe(key.tenantSegment.replaceAll("-", "_"));
    expect(stored?.labels.credkit_type).toBe("bearer_token");
    const metadata = JSON.parse(stored?.annotations["credkit-metadata"] ?? "{}");
    expect(metadata).toMatchObject({ tenant, name: "conn/1", type: "bearer_token" });
    expect(stored?.annotations["credkit-version"]).toBe("1");
    expect(JSON.stringify(stored?.annotations)).not.toContain("label-token-value");
    const list = server.calls.filter((call) => call.method === "ListSecrets");
    await manager.listCredentials(tenant);
    const filter = server.calls.filter((call) => call.method === "ListSecrets").slice(list.length)[0]
      ?.request.filter;
    expect(filter).toBe(`labels.credkit_tenant=${key.tenantSegment.replaceAll("-", "_")}`);
    expect(backend.capabilities.maxKeyLength).toBe(255 - "credkit-".length);
    const long = encodeKey("t".repeat(300), "n".repeat(600), backend.capabilities.maxKeyLength);
    expect(`credkit-${long.id}`).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
  });

  it("creates secrets with user-managed replication when configured", async () => {
    const {
      manager,
      tenant,
      key: keyOf,
    } = fixture("repl", {
      replication: { locations: ["europe-west1", "europe-west4"] },
    });
    await manager.storeCredentials("c", tenant, { apiKey: "replicated-value" });
    const key = keyOf("c");
    expect(server.secret(`credkit-${key.id}`)?.replication).toMatchObject({
      user_managed: { replicas: [{ location: "europe-west1" }, { location: "europe-west4" }] },
    });
  });

  it("rejects a prefix outside [A-Za-z0-9_-]", () => {
    expect(() => gcpSecretManagerBackend({ prefix: "bad/prefix" })).toThrow(ConfigurationError);
  });
});

describe("gcp: failures are typed, bounded and leak nothing", () => {
  const serviceAccount = () => {
    const keyBody = canary("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
    planted.push(keyBody);
    return {
      keyBody,
      json: {
        type: "service_account",
        project_id: "from-key-file",
        client_email: "credkit@from-key-file.iam.gserviceaccount.com",
        private_key: `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----\n`,
      },
    };
  };

  it("retries UNAVAILABLE and gives typed errors for RESOURCE_EXHAUSTED and PERMISSION_DENIED", async () => {
    const { keyBody, json } = serviceAccount();
    const backend = backendFor({ credentials: JSON.stringify(json) });
    const manager = managerFor(backend);
    const tenant = uniqueId("faults");
    await manager.storeCredentials("c", tenant, { apiKey: "fault-value-001" });
    server.fail("AccessSecretVersion", 14, 2);
    expect((await manager.getCredentials("c", tenant)).apiKey?.reveal()).toBe("fault-value-001");
    server.fail("AccessSecretVersion", 8, 3);
    const throttled = await manager.getCredentials("c", tenant).catch((e: unknown) => e);
    expect(ThrottledError.isInstance(throttled)).toBe(true);
    server.fail(
      "AccessSecretVersion",
      7,
      1,
      `Permission denied for ${json.client_email} with key ${json.private_key}`,
    );
    const denied = await manager.getCredentials("c", tenant).catch((e: unknown) => e);
    expect(AuthError.isInstance(denied)).toBe(true);
    assertNoLeak(denied, keyBody);
    server.fail("*", 14, 3);
    const down = await manager.getCredentials("c", tenant).catch((e: unknown) => e);
    expect(UnavailableError.isInstance(down)).toBe(true);
    expect(NotFoundError.isInstance(down)).toBe(false);
  });

  it("maps every gRPC status the issue names to its typed error", async () => {
    const backend = backendFor({ retry: { attempts: 1, timeoutMs: 5000 } });
    const cases: Array<[number, (error: unknown) => boolean]> = [
      [5, NotFoundError.isInstance],
      [6, ConflictError.isInstance],
      [9, ConflictError.isInstance],
      [7, AuthError.isInstance],
      [16, AuthError.isInstance],
      [8, ThrottledError.isInstance],
      [14, UnavailableError.isInstance],
      [4, UnavailableError.isInstance],
    ];
    for (const [code, expected] of cases) {
      server.fail("ListSecrets", code, 1);
      const error = await backend.list({}).catch((e: unknown) => e);
      expect([code, expected(error)]).toEqual([code, true]);
    }
  });

  it("switches the SDK's own retries off: one UNAVAILABLE with one attempt is one call", async () => {
    const {
      backend,
      manager,
      tenant,
      key: keyOf,
    } = fixture("noretry", {
      retry: { attempts: 1, timeoutMs: 10_000 },
    });
    await manager.storeCredentials("c", tenant, { apiKey: "no-retry-value" });
    const accesses = () => server.calls.filter((call) => call.method === "AccessSecretVersion").length;
    const before = accesses();
    server.fail("AccessSecretVersion", 14, 1);
    // why: with the SDK's policy on, gax would retry after ~2 s and this read would succeed.
    const error = await backend.get(keyOf("c")).catch((e: unknown) => e);
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect(accesses() - before).toBe(1);
  });

  it("a slow server hits the per-call deadline as UnavailableError", async () => {
    const backend = backendFor({ retry: { attempts: 1, timeoutMs: 200 } });
    server.latencyMs = 1000;
    try {
      const error = await backend.get(encodeKey(uniqueId("slow"), "c", 200)).catch((e: unknown) => e);
      expect(UnavailableError.isInstance(error)).toBe(true);
    } finally {
      server.latencyMs = 0;
    }
  });

  it("a dead endpoint fails fast with a typed UnavailableError", async () => {
    const dead = await startGcpSecretManagerServer();
    const port = dead.port;
    await dead.close();
    const backend = backendFor({ retry: { attempts: 2, baseDelayMs: 5, timeoutMs: 2000 } }, port);
    const error = await managerFor(backend)
      .getCredentials("c", uniqueId("dead"))
      .catch((e: unknown) => e);
    expect(UnavailableError.isInstance(error)).toBe(true);
  });

  it("an endpoint that accepts but never answers fails with UnavailableError at the deadline", async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createNetServer((socket) => sockets.push(socket));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const port = (silent.address() as { port: number }).port;
    try {
      const backend = backendFor({ retry: { attempts: 2, baseDelayMs: 5, timeoutMs: 300 } }, port);
      const error = await backend.get(encodeKey(uniqueId("silent"), "c", 200)).catch((e: unknown) => e);
      expect(UnavailableError.isInstance(error)).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("validates credentials without echoing them", async () => {
    const { keyBody, json } = serviceAccount();
    const broken = `{"type":"service_account","private_key":"${keyBody}"`;
    const invalid = await gcpSecretManagerBackend({ credentials: broken, projectId: "p" })
      .get(encodeKey("t", "n", 200))
      .catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(invalid)).toBe(true);
    assertNoLeak(invalid, keyBody);
    const noEmail = await gcpSecretManagerBackend({
      credentials: { ...json, client_email: "" },
      projectId: "p",
    })
      .get(encodeKey("t", "n", 200))
      .catch((e: unknown) => e);
    expect((noEmail as ConfigurationError).missing).toEqual(["credentials"]);
    assertNoLeak(noEmail, keyBody);
    const missingFile = await gcpSecretManagerBackend({
      keyFilename: "/nonexistent/key.json",
      projectId: "p",
    })
      .get(encodeKey("t", "n", 200))
      .catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(missingFile)).toBe(true);
  });
  it("reads a key file: its project_id is the project; a broken one is refused unechoed", async () => {
    const { keyBody, json } = serviceAccount();
    const folder = await mkdtemp(join(tmpdir(), "credkit-gcp-"));
    try {
      const good = join(folder, "sa.json");
      await writeFile(good, JSON.stringify({ ...json, project_id: server.projectId }));
      const backend = backendFor({ keyFilename: good, projectId: undefined, env: {} });
      const tenant = uniqueId("keyfile");
      await managerFor(backend).storeCredentials("c", tenant, { apiKey: "key-file-value" });
      const key = encodeKey(tenant, "c", backend.capabilities.maxKeyLength);
      expect(server.secret(`credkit-${key.id}`)).toBeDefined();
      const broken = join(folder, "broken.json");
      await writeFile(broken, JSON.stringify({ ...json, client_email: undefined }).slice(0, -1));
      const error = await gcpSecretManagerBackend({ keyFilename: broken, projectId: "p" })
        .get(encodeKey("t", "n", 200))
        .catch((e: unknown) => e);
      expect((error as ConfigurationError).missing).toEqual(["keyFilename"]);
      assertNoLeak(error, keyBody);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("gcp: clients and configuration", () => {
  it("uses an existing client and leaves it open on close", async () => {
    const client = directClient();
    try {
      const backend = gcpSecretManagerBackend({ client, projectId: server.projectId, retry: FAST_RETRY });
      const manager = managerFor(backend);
      const tenant = uniqueId("client");
      await manager.storeCredentials("c", tenant, { apiKey: "own-client-value" });
      await backend.close?.();
      expect(
        (
          await managerFor(gcpSecretManagerBackend({ client, projectId: server.projectId })).getCredentials(
            "c",
            tenant,
          )
        ).apiKey?.reveal(),
      ).toBe("own-client-value");
      // @ts-expect-error: `client` and the settings of a client credkit builds exclude each other.
      expect(() => gcpSecretManagerBackend({ client, clientOptions: {}, endpoint: "x" })).toThrow(
        /got client and endpoint, clientOptions/,
      );
    } finally {
      await client.close();
    }
  });

  it("takes the project from GOOGLE_CLOUD_PROJECT and lists every variable it reads", async () => {
    expect(definition.type).toBe("gcp-secret-manager");
    expect(definition.aliases).toEqual(["gcp"]);
    expect(definition.missingVariables({})).toEqual(["GOOGLE_CLOUD_PROJECT"]);
    expect(definition.missingVariables({ GOOGLE_CLOUD_PROJECT: "p" })).toEqual([]);
    expect(definition.variables.map((variable) => variable.name)).toContain("CREDKIT_GCP_CREDENTIALS_JSON");
    const backend = gcpSecretManagerBackend({
      ...grpcOptions(server.port),
      projectId: undefined,
      env: { GOOGLE_CLOUD_PROJECT: server.projectNumber },
    });
    backends.push(backend);
    const tenant = uniqueId("env");
    await managerFor(backend).storeCredentials("c", tenant, { apiKey: "env-project-value" });
    const key = encodeKey(tenant, "c", backend.capabilities.maxKeyLength);
    expect(server.secret(`credkit-${key.id}`)).toBeDefined();
  });
});

describe("gcp: REST fallback mode maps HTTP statuses itself", () => {
  let http: HttpServer;
  let port: number;
  let reply: (path: string) => { status: number; body: unknown };
  const paths: string[] = [];

  beforeAll(async () => {
    http = createHttpServer((request, response) => {
      paths.push(request.url ?? "");
      const { status, body } = reply(request.url ?? "");
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    port = (http.address() as { port: number }).port;
  });

  afterAll(() => {
    http?.close();
  });

  const restBackend = () =>
    backendFor(
      {
        fallback: true,
        clientOptions: { protocol: "http", authClient: new PassThroughClient() },
        retry: { attempts: 2, baseDelayMs: 5, timeoutMs: 3000 },
      },
      port,
    );

  const error = (code: number, status: string) => ({
    status: code,
    body: { error: { code, message: `Injected ${status}.`, status } },
  });

  it("404 is absence; 403, 429, 503 and 409 are typed errors", async () => {
    const backend = restBackend();
    const key = encodeKey(uniqueId("rest"), "c", backend.capabilities.maxKeyLength);
    reply = () => error(404, "NOT_FOUND");
    expect(await backend.get(key)).toBeUndefined();
    expect(paths.at(-1)).toContain(
      `/v1/projects/${server.projectId}/secrets/credkit-${key.id}/versions/latest:access`,
    );
    reply = () => error(403, "PERMISSION_DENIED");
    expect(AuthError.isInstance(await backend.get(key).catch((e: unknown) => e))).toBe(true);
    reply = () => error(429, "RESOURCE_EXHAUSTED");
    expect(ThrottledError.isInstance(await backend.get(key).catch((e: unknown) => e))).toBe(true);
    reply = () => error(503, "UNAVAILABLE");
    expect(UnavailableError.isInstance(await backend.get(key).catch((e: unknown) => e))).toBe(true);
    reply = () => error(409, "ABORTED");
    expect(ConflictError.isInstance(await backend.delete(key).catch((e: unknown) => e))).toBe(true);
  });

  it("maps every HTTP status the issue names, with or without the body's status", async () => {
    const backend = backendFor(
      {
        fallback: true,
        clientOptions: { protocol: "http", authClient: new PassThroughClient() },
        retry: { attempts: 1, timeoutMs: 3000 },
      },
      port,
    );
    const cases: Array<[number, string, (error: unknown) => boolean, (error: unknown) => boolean]> = [
      // HTTP status, body status, with the body status, from the HTTP status alone
      [404, "NOT_FOUND", NotFoundError.isInstance, NotFoundError.isInstance],
      [409, "ALREADY_EXISTS", ConflictError.isInstance, ConflictError.isInstance],
      [400, "FAILED_PRECONDITION", ConflictError.isInstance, ValidationError.isInstance],
      [403, "PERMISSION_DENIED", AuthError.isInstance, AuthError.isInstance],
      [401, "UNAUTHENTICATED", AuthError.isInstance, AuthError.isInstance],
      [429, "RESOURCE_EXHAUSTED", ThrottledError.isInstance, ThrottledError.isInstance],
      [503, "UNAVAILABLE", UnavailableError.isInstance, UnavailableError.isInstance],
      [504, "DEADLINE_EXCEEDED", UnavailableError.isInstance, UnavailableError.isInstance],
    ];
    for (const [code, status, withBody, withoutBody] of cases) {
      reply = () => error(code, status);
      const typed = await backend.list({}).catch((e: unknown) => e);
      reply = () => ({ status: code, body: { error: { code, message: "Injected." } } });
      const bare = await backend.list({}).catch((e: unknown) => e);
      expect([status, withBody(typed), withoutBody(bare)]).toEqual([status, true, true]);
    }
  });

  it("400 FAILED_PRECONDITION on access reads the version state: a disabled latest is deleted", async () => {
    const backend = restBackend();
    const key = encodeKey(uniqueId("rest"), "c", backend.capabilities.maxKeyLength);
    reply = (path) =>
      path.includes(":access")
        ? error(400, "FAILED_PRECONDITION")
        : {
            status: 200,
            body: {
              name: `projects/1/secrets/credkit-${key.id}/versions/3`,
              state: "DISABLED",
              etag: '"e1"',
            },
          };
    const deleted = await backend.get(key).catch((e: unknown) => e);
    expect(DeletedError.isInstance(deleted)).toBe(true);
    expect((deleted as DeletedError).state).toBe("deleted");
    const pinned = await backend.get(key, { version: 3 }).catch((e: unknown) => e);
    expect((pinned as DeletedError).state).toBe("disabled");
  });
});
