/**
 * AWS Secrets Manager backend: the contract suite and AWS-specific behaviour, driven through the
 * official SDK over HTTP to the loopback service in test/servers/aws-secrets-manager.
 */
// why: the SDK reads these from the environment; nothing may reach AWS or a metadata endpoint,
// and no developer profile, endpoint, key or retry setting may leak into the tests.
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_CONFIG_FILE = "/nonexistent/credkit-test/aws-config";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credkit-test/aws-credentials";
for (const name of [
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_SECRETS_MANAGER",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_ROLE_ARN",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_MAX_ATTEMPTS",
  "AWS_RETRY_MODE",
]) {
  delete process.env[name];
}

import * as sdk from "@aws-sdk/client-secrets-manager";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { awsError } from "../../src/backends/aws-secrets-manager/errors.js";
import {
  type AwsClientSettings,
  type AwsStorageOptions,
  awsSecretsManagerBackend,
  definition,
  versionToken,
} from "../../src/backends/aws-secrets-manager/index.js";
import { undiciRequestHandler } from "../../src/backends/aws-secrets-manager/transport.js";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { ConnectorService } from "../../src/connectors/service.js";
import type { Backend, BackendRecord, RecordMetadata } from "../../src/core/backend.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager, type CredentialManagerOptions } from "../../src/core/credential-manager.js";
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
import { type BackendKey, encodeKey, encodeTenantId } from "../../src/core/key-encoding.js";
import type { Secret } from "../../src/core/secret.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { FakeSecretsManager } from "../servers/aws-secrets-manager/server.js";
import { assertNoLeak, canary, keyring, uniqueId } from "../support/fixtures.js";
import { malformed, proveRecordGuard } from "../support/record-guard.js";

const server = new FakeSecretsManager();
let endpoint: string;
const credentials = { accessKeyId: "AKIDCONTRACT", secretAccessKey: "contract-secret-access-key" };

beforeAll(async () => {
  endpoint = await server.start();
});
afterAll(async () => {
  await server.stop();
});

runBackendContract({
  name: "aws-secrets-manager",
  create: async () =>
    awsSecretsManagerBackend({
      endpoint,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
      prefix: "contract/",
    }),
});

// ---------------------------------------------------------------------------------------------
// AWS-specific behaviour
// ---------------------------------------------------------------------------------------------

type Options = AwsClientSettings & AwsStorageOptions;

const opened: Backend[] = [];
function backendWith(overrides: Options = {}) {
  const backend = awsSecretsManagerBackend({
    endpoint,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
    prefix: "aws/",
    ...overrides,
  });
  opened.push(backend);
  return backend;
}
function managerOf(backend: Backend, overrides: Partial<CredentialManagerOptions> = {}) {
  return new CredentialManager({ backend, encryption: keyring(), cache: false, ...overrides });
}
const keyOf = (backend: Backend, tenant: string, name: string) =>
  encodeKey(tenant, name, backend.capabilities.maxKeyLength);
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

afterAll(async () => {
  for (const backend of opened) await backend.close?.();
});
afterEach(() => {
  server.reset();
  server.accessKeys.clear();
  vi.unstubAllEnvs();
});

describe("aws-secrets-manager: writes, versions and stages", () => {
  it("creates a new credential with CreateSecret and each new value with PutSecretValue and the version's token", async () => {
    const backend = backendWith({ kmsKeyId: "alias/credkit-test", tags: { team: "payments" } });
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("openai", tenant, { apiKey: "first-value-0001" }, { type: "api_key" });
    expect(server.count("CreateSecret")).toBe(1);
    expect(server.count("PutSecretValue")).toBe(0);
    const name = backend.secretNameOf(keyOf(backend, tenant, "openai"));
    expect(name).toBe(`aws/${encodeTenantId(tenant)}/openai`);
    const stored = server.secret(name);
    expect(stored?.kmsKeyId).toBe("alias/credkit-test");
    expect(stored?.tags).toEqual(
      expect.arrayContaining([
        { Key: "credkit:tenant", Value: encodeTenantId(tenant) },
        { Key: "credkit:type", Value: "api_key" },
        { Key: "team", Value: "payments" },
      ]),
    );
    expect([...(stored?.versions.keys() ?? [])]).toEqual([versionToken(1)]);

    await manager.rotateCredentials("openai", tenant, { apiKey: "second-value-0002" });
    expect(server.count("CreateSecret")).toBe(1);
    const put = server.requests.find((request) => request.target === "PutSecretValue");
    expect(put?.body.ClientRequestToken).toBe(versionToken(2));
    const stages = Object.fromEntries(
      [...(server.secret(name)?.versions.values() ?? [])].map((version) => [version.id, [...version.stages]]),
    );
    expect(stages).toEqual({ [versionToken(1)]: ["AWSPREVIOUS"], [versionToken(2)]: ["AWSCURRENT"] });
  });

  it("reads AWSCURRENT, a pinned version and AWSPREVIOUS", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    for (const value of ["value-one-0001", "value-two-0002", "value-three-0003"]) {
      await manager.storeCredentials("c", tenant, { apiKey: value });
    }
    const key = keyOf(backend, tenant, "c");
    expect((await backend.get(key))?.version).toBe(3);
    expect((await backend.get(key, { version: 1 }))?.version).toBe(1);
    expect((await backend.getPrevious(key))?.version).toBe(2);
    expect(await backend.get(key, { version: 4 })).toBeUndefined();
    expect((await manager.getCredentials("c", tenant, { version: 2 })).apiKey?.reveal()).toBe(
      "value-two-0002",
    );
    const requested = server.requests
      .filter((request) => request.target === "GetSecretValue")
      .map((r) => r.body);
    expect(requested).toEqual(
      expect.arrayContaining([
        { SecretId: backend.secretNameOf(key) },
        { SecretId: backend.secretNameOf(key), VersionId: versionToken(1) },
        { SecretId: backend.secretNameOf(key), VersionStage: "AWSPREVIOUS" },
      ]),
    );
    const fresh = keyOf(backend, uniqueId("tenant"), "c");
    await backend.put(fresh, (await backend.get(key)) as BackendRecord);
    expect(await backend.getPrevious(fresh)).toBeUndefined();
  });

  it("a write retried after a dropped response creates one version, not two", async () => {
    const backend = backendWith({ maxAttempts: 3 });
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    server.faults.push({ target: "CreateSecret", kind: "drop-after" });
    expect((await manager.storeCredentials("c", tenant, { apiKey: "created-once-0001" })).version).toBe(1);
    server.faults.push({ target: "PutSecretValue", kind: "drop-after" });
    expect((await manager.rotateCredentials("c", tenant, { apiKey: "written-once-0002" })).version).toBe(2);

    const puts = server.requests.filter((request) => request.target === "PutSecretValue");
    expect(puts).toHaveLength(2);
    expect(puts[0]?.status).toBe(0);
    expect(puts.map((request) => request.body.ClientRequestToken)).toEqual([
      versionToken(2),
      versionToken(2),
    ]);
    expect(server.count("CreateSecret")).toBe(2);
    const name = backend.secretNameOf(keyOf(backend, tenant, "c"));
    expect(server.secret(name)?.versions.size).toBe(2);
    expect((await manager.getCredentials("c", tenant)).apiKey?.reveal()).toBe("written-once-0002");
  });

  it("20 concurrent rotates lose nothing: each gets its own version", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("hot", tenant, { apiKey: "initial-value-00" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        manager.rotateCredentials("hot", tenant, { apiKey: `rotated-value-${index}` }),
      ),
    );
    const versions = results.map((result) => result.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, index) => index + 2));
    for (const [index, result] of results.entries()) {
      const read = await manager.getCredentials("hot", tenant, { version: result.version });
      expect(read.apiKey?.reveal()).toBe(`rotated-value-${index}`);
    }
    const name = backend.secretNameOf(keyOf(backend, tenant, "hot"));
    expect(server.secret(name)?.versions.size).toBe(21);
    expect((await manager.describeCredentials("hot", tenant)).version).toBe(21);
  });

  it("ifVersion: the service rejects a writer whose version another writer took after its check", async () => {
    const slow = backendWith();
    const other = managerOf(backendWith());
    const tenant = uniqueId("tenant");
    await other.storeCredentials("c", tenant, { apiKey: "shared-value-001" });
    let interleave = true;
    server.beforeHandle = async (target) => {
      if (target !== "PutSecretValue" || !interleave) return;
      interleave = false;
      await other.rotateCredentials("c", tenant, { apiKey: "other-writer-002" });
    };
    const error = await caught(
      managerOf(slow).rotateCredentials("c", tenant, { apiKey: "slow-writer-0002" }, { ifVersion: 1 }),
    );
    expect(ConflictError.isInstance(error)).toBe(true);
    // The slow writer's PutSecretValue reached the service and was refused there (token of v2 taken).
    const puts = server.requests.filter((request) => request.target === "PutSecretValue");
    expect(puts.map((request) => [request.body.ClientRequestToken, request.status])).toEqual([
      [versionToken(2), 400],
      [versionToken(2), 200],
    ]);
    expect((await other.getCredentials("c", tenant)).apiKey?.reveal()).toBe("other-writer-002");

    // An unconditional writer in the same race takes the next version instead.
    interleave = true;
    const result = await managerOf(slow).rotateCredentials("c", tenant, { apiKey: "slow-writer-0004" });
    expect(result.version).toBe(4);
    expect((await other.getCredentials("c", tenant, { version: 3 })).apiKey?.reveal()).toBe(
      "other-writer-002",
    );
  });

  it("refuses to write over a secret under the prefix that credkit did not write", async () => {
    const backend = backendWith();
    const key = keyOf(backend, uniqueId("tenant"), "foreign");
    const client = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
    await client.send(
      new CreateSecretCommand({ Name: backend.secretNameOf(key), SecretString: "hand-written" }),
    );
    client.destroy();
    expect(IntegrityError.isInstance(await caught(backend.get(key)))).toBe(true);
    const record = {
      value: "x",
      metadata: { tenant: key.tenantId, name: key.connectionId },
    } as unknown as BackendRecord;
    expect(IntegrityError.isInstance(await caught(backend.put(key, record)))).toBe(true);
  });
});

describe("aws-secrets-manager: batch reads", () => {
  it("resolves 10 references with one BatchGetSecretValue call", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    const names = Array.from({ length: 10 }, (_, index) => `ref-${index}`);
    for (const name of names) await manager.storeCredentials(name, tenant, { apiKey: `value-of-${name}` });
    server.reset();
    const results = await manager.getManyCredentials(
      names.map((connectionId) => ({ connectionId, userId: tenant })),
    );
    expect(server.count("BatchGetSecretValue")).toBe(1);
    expect(server.count("GetSecretValue")).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(results.map((result) => result.ok && result.credentials.apiKey?.reveal())).toEqual(
      names.map((name) => `value-of-${name}`),
    );
  });

  it("a connection with 10 secret references resolves with one BatchGetSecretValue call", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    // why: the connection record itself is kept apart, so only the secrets' reads are counted
    const store = memoryConnectionStore();
    const service = new ConnectorService({ credentials: manager, tenantId: tenant, store });
    const names = Array.from({ length: 10 }, (_, index) => `svc-secret-${index}`);
    for (const name of names) await manager.storeCredentials(name, tenant, { value: `value-of-${name}` });
    const connection = await service.create({
      connector: "http",
      instanceName: "Ten references",
      configuration: { baseURL: "http://127.0.0.1:1" },
      secretsReferences: Object.fromEntries(
        names.map((name, index) => [`ref${index}`, { secret_name: name, field: "value" }]),
      ),
    });
    server.reset();
    const resolved = await service.getConnectorCredentials(connection.id);
    expect(server.requests.map((request) => request.target)).toEqual(["BatchGetSecretValue"]);
    expect(server.requests[0]?.body.SecretIdList).toHaveLength(10);
    expect(names.map((_, index) => (resolved[`ref${index}`] as Secret).reveal())).toEqual(
      names.map((name) => `value-of-${name}`),
    );
  });

  it("splits larger reads into calls of at most 20 secrets", async () => {
    const backend = backendWith();
    const tenant = uniqueId("tenant");
    const keys = Array.from({ length: 45 }, (_, index) => keyOf(backend, tenant, `many-${index}`));
    await backend.put(keys[7] as BackendKey, {
      value: "opaque-payload",
      metadata: sampleMetadata(tenant, "many-7"),
    });
    server.reset();
    const results = (await backend.getMany?.(keys)) ?? [];
    const calls = server.requests.filter((request) => request.target === "BatchGetSecretValue");
    const sizes = calls.map((call) => (call.body.SecretIdList as string[]).length);
    expect(sizes.sort((a, b) => b - a)).toEqual([20, 20, 5]);
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
    expect((results[7] as BackendRecord).value).toBe("opaque-payload");
  });

  it("keeps per-item errors per item: missing, scheduled for deletion, access denied", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    for (const name of ["live", "gone", "secret"]) {
      await manager.storeCredentials(name, tenant, { apiKey: `batch-${name}-value` });
    }
    await manager.deleteCredentials("gone", tenant);
    server.reset();
    server.denied.add(backend.secretNameOf(keyOf(backend, tenant, "secret")));
    const results = await manager.getManyCredentials(
      ["live", "missing", "gone", "secret"].map((connectionId) => ({ connectionId, userId: tenant })),
    );
    expect(server.count("BatchGetSecretValue")).toBe(1);
    expect(results[0]?.ok && results[0].credentials.apiKey?.reveal()).toBe("batch-live-value");
    const [, missing, gone, denied] = results.map((result) => (result.ok ? undefined : result.error));
    expect(NotFoundError.isInstance(missing) && !DeletedError.isInstance(missing)).toBe(true);
    expect(DeletedError.isInstance(gone)).toBe(true);
    expect((gone as DeletedError).state).toBe("scheduled_for_deletion");
    expect(AuthError.isInstance(denied)).toBe(true);
  });

  it("a failed batch call fails its own items with a typed error, never as missing", async () => {
    const backend = backendWith();
    const keys = Array.from({ length: 3 }, (_, index) => keyOf(backend, uniqueId("tenant"), `x-${index}`));
    server.faults.push({ target: "BatchGetSecretValue", kind: "error500" });
    const results = await backend.getMany?.(keys);
    expect(results?.every((result) => UnavailableError.isInstance(result))).toBe(true);
  });
});

describe("aws-secrets-manager: delete, restore, purge", () => {
  it("deleted-then-restored credentials read back intact, every version and stage", async () => {
    const backend = backendWith({ recoveryWindowInDays: 7 });
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("d", tenant, { apiKey: "before-rotate-01" }, { type: "api_key" });
    await manager.rotateCredentials("d", tenant, { apiKey: "after-rotate-002" });
    await manager.deleteCredentials("d", tenant);
    const deleteCall = server.requests.find((request) => request.target === "DeleteSecret");
    expect(deleteCall?.body).toMatchObject({ RecoveryWindowInDays: 7 });
    expect(deleteCall?.body.ForceDeleteWithoutRecovery).toBeUndefined();
    const name = backend.secretNameOf(keyOf(backend, tenant, "d"));
    const stored = server.secret(name);
    expect((stored?.deletionDate ?? 0) - (stored?.deletedDate ?? 0)).toBe(7 * 86_400);

    const error = await caught(manager.getCredentials("d", tenant));
    expect(DeletedError.isInstance(error)).toBe(true);
    expect((error as DeletedError).state).toBe("scheduled_for_deletion");
    const pinned = await caught(manager.getCredentials("d", tenant, { version: 1 }));
    expect((pinned as DeletedError).state).toBe("scheduled_for_deletion");
    const listed = await manager.listCredentials(tenant, { includeDeleted: true });
    expect(listed.items).toMatchObject([
      { connectionId: "d", status: "deleted", version: 2, type: "api_key" },
    ]);
    expect(listed.items[0]?.fingerprints.apiKey).toMatch(/^[0-9a-f]{8}$/);
    expect(DeletedError.isInstance(await caught(manager.deleteCredentials("d", tenant)))).toBe(false);

    await manager.restoreCredentials("d", tenant);
    expect((await manager.getCredentials("d", tenant)).apiKey?.reveal()).toBe("after-rotate-002");
    expect((await manager.getCredentials("d", tenant, { version: 1 })).apiKey?.reveal()).toBe(
      "before-rotate-01",
    );
    expect((await backend.getPrevious(keyOf(backend, tenant, "d")))?.version).toBe(1);
  });

  it("storing over a deleted credential restores it and writes the next version", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("d", tenant, { apiKey: "first-life-00001" });
    await manager.deleteCredentials("d", tenant);
    const info = await manager.storeCredentials(
      "d",
      tenant,
      { apiKey: "second-life-0002" },
      { ifVersion: 0 },
    );
    // why: the payload is sealed for the version it is stored as; Secrets Manager continues the
    // old numbering after a restore (2), so the core seals once more on top (3) and version 2 is
    // left unreadable (IntegrityError), never served.
    expect(info.version).toBe(3);
    expect(server.count("RestoreSecret")).toBe(1);
    expect((await manager.getCredentials("d", tenant)).apiKey?.reveal()).toBe("second-life-0002");
    expect(
      (await manager.getCredentials("d", tenant, { version: 2 }).catch((e: unknown) => e)) as Error,
    ).toMatchObject({
      code: "integrity",
    });
  });

  it("a failed write over a deleted credential leaves it deleted", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("d", tenant, { apiKey: "revoked-value-01" });
    await manager.deleteCredentials("d", tenant);
    server.faults.push({ target: "PutSecretValue", kind: "error500" });
    const error = await caught(manager.storeCredentials("d", tenant, { apiKey: "never-stored-002" }));
    expect(UnavailableError.isInstance(error)).toBe(true);
    const read = await caught(manager.getCredentials("d", tenant));
    expect((read as DeletedError).state).toBe("scheduled_for_deletion");
  });

  it("after the recovery window the secret is gone: NotFound, not deleted", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("w", tenant, { apiKey: "window-value-001" });
    await manager.deleteCredentials("w", tenant);
    const now = Date.now() / 1000;
    server.clock = () => now + 31 * 86_400;
    try {
      const error = await caught(manager.getCredentials("w", tenant));
      expect(NotFoundError.isInstance(error) && !DeletedError.isInstance(error)).toBe(true);
    } finally {
      server.clock = () => Date.now() / 1000;
    }
  });

  it("purges with ForceDeleteWithoutRecovery, and purging nothing is NotFound", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("p", tenant, { apiKey: "purge-me-value-1" });
    await manager.purgeCredentials("p", tenant);
    const call = server.requests.find((request) => request.target === "DeleteSecret");
    expect(call?.body).toMatchObject({ ForceDeleteWithoutRecovery: true });
    expect(call?.body.RecoveryWindowInDays).toBeUndefined();
    expect(server.secret(backend.secretNameOf(keyOf(backend, tenant, "p")))).toBeUndefined();
    expect(NotFoundError.isInstance(await caught(manager.purgeCredentials("p", tenant)))).toBe(true);
    expect(NotFoundError.isInstance(await caught(manager.restoreCredentials("p", tenant)))).toBe(true);
  });
});

describe("aws-secrets-manager: retries, timeouts and error mapping", () => {
  it("throttling is retried with the SDK's backoff, then surfaced as ThrottledError", async () => {
    const backend = backendWith({ maxAttempts: 3 });
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("t", tenant, { apiKey: "throttled-value1" });
    server.reset();
    server.faults.push({ target: "GetSecretValue", kind: "throttle", times: 2 });
    expect((await manager.getCredentials("t", tenant)).apiKey?.reveal()).toBe("throttled-value1");
    expect(server.count("GetSecretValue")).toBe(3);

    server.reset();
    server.faults.push({ target: "GetSecretValue", kind: "throttle", times: 3 });
    const error = await caught(manager.getCredentials("t", tenant));
    expect(ThrottledError.isInstance(error)).toBe(true);
    expect((error as ThrottledError).transient).toBe(true);
    expect(server.count("GetSecretValue")).toBe(3);
  });

  it("5xx and dropped connections are retried, then surfaced as UnavailableError", async () => {
    const retrying = backendWith({ maxAttempts: 3 });
    const manager = managerOf(retrying);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("u", tenant, { apiKey: "unavailable-val1" });
    server.reset();
    server.faults.push({ target: "GetSecretValue", kind: "drop-before" });
    server.faults.push({ target: "GetSecretValue", kind: "error500" });
    expect((await manager.getCredentials("u", tenant)).apiKey?.reveal()).toBe("unavailable-val1");
    expect(server.count("GetSecretValue")).toBe(3);

    server.reset();
    server.faults.push({ target: "GetSecretValue", kind: "error500", times: 3 });
    expect(UnavailableError.isInstance(await caught(manager.getCredentials("u", tenant)))).toBe(true);
    expect(server.count("GetSecretValue")).toBe(3);

    server.faults.push({ target: "GetSecretValue", kind: "drop-before" });
    const once = managerOf(backendWith());
    expect(UnavailableError.isInstance(await caught(once.getCredentials("u", tenant)))).toBe(true);
  });

  it("a call that outlives timeoutMs fails as UnavailableError naming the option", async () => {
    const backend = backendWith({ timeoutMs: 150, maxAttempts: 3 });
    server.faults.push({ target: "GetSecretValue", kind: "latency", ms: 2_000, times: 3 });
    const error = await caught(backend.get(keyOf(backend, uniqueId("tenant"), "slow")));
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("timeoutMs");
  });

  it("maps the service's error codes to typed errors", () => {
    const cases: Array<[string, string, (error: unknown) => boolean]> = [
      [
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
        NotFoundError.isInstance,
      ],
      [
        "ResourceExistsException",
        "The operation failed because the secret x already exists.",
        ConflictError.isInstance,
      ],
      [
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.",
        (error) => DeletedError.isInstance(error) && error.state === "scheduled_for_deletion",
      ],
      ["AccessDeniedException", "User is not authorized", AuthError.isInstance],
      [
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        AuthError.isInstance,
      ],
      ["ThrottlingException", "Rate exceeded", ThrottledError.isInstance],
      ["LimitExceededException", "Request limit exceeded.", ThrottledError.isInstance],
      ["InternalServiceError", "An error occurred on the server side.", UnavailableError.isInstance],
      ["ECONNRESET", "socket hang up", UnavailableError.isInstance],
      ["InvalidParameterException", "bad parameter", ValidationError.isInstance],
    ];
    for (const [code, message, check] of cases) {
      const error = Object.assign(new Error(message), { name: code });
      expect([code, check(awsError(error, "test"))]).toEqual([code, true]);
    }
  });

  it("access denied and unknown keys are AuthError; our AWS credentials and stored values never leak", async () => {
    const secretAccessKey = canary("aws-secret-access-key");
    const sessionToken = canary("aws-session-token");
    const apiKey = canary("stored-api-key");
    const output: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        output.push(String(chunk));
        return true;
      }),
      vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        output.push(String(chunk));
        return true;
      }),
      ...(["log", "warn", "error", "info", "debug"] as const).map((method) =>
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          output.push(args.map(String).join(" "));
        }),
      ),
    ];
    try {
      const backend = backendWith({
        credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey, sessionToken },
        maxAttempts: 2,
      });
      const plain = managerOf(backend, { encryption: false });
      server.accessKeys.add("AKIDCONTRACT");
      const tenant = uniqueId("tenant");
      const refused = await caught(plain.storeCredentials("c", tenant, { apiKey }));
      expect(AuthError.isInstance(refused)).toBe(true);

      server.accessKeys.clear();
      await plain.storeCredentials("c", tenant, { apiKey });
      server.denied.add(backend.secretNameOf(keyOf(backend, tenant, "c")));
      const denied = await caught(plain.getCredentials("c", tenant));
      expect(AuthError.isInstance(denied)).toBe(true);
      server.denied.clear();

      server.faults.push({ target: "PutSecretValue", kind: "error500", times: 2 });
      const failedWrite = await caught(plain.rotateCredentials("c", tenant, { apiKey: `${apiKey}-2` }));
      expect(UnavailableError.isInstance(failedWrite)).toBe(true);
      server.faults.push({ target: "GetSecretValue", kind: "latency", ms: 1_000 });
      const slow = awsSecretsManagerBackend({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDCONTRACT", secretAccessKey, sessionToken },
        timeoutMs: 50,
        prefix: "aws/",
      });
      const timedOut = await caught(managerOf(slow, { encryption: false }).getCredentials("c", tenant));
      await slow.close?.();
      expect(UnavailableError.isInstance(timedOut)).toBe(true);

      for (const error of [refused, denied, failedWrite, timedOut]) {
        assertNoLeak(error, secretAccessKey);
        assertNoLeak(error, sessionToken);
        assertNoLeak(error, apiKey);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const logged = output.join("\n");
    assertNoLeak(logged, secretAccessKey);
    assertNoLeak(logged, sessionToken);
    assertNoLeak(logged, apiKey);
  });
});

describe("aws-secrets-manager: names, listing and configuration", () => {
  it("names stay within AWS rules and hash long ids; prefixes are checked", async () => {
    const backend = backendWith();
    expect(backend.capabilities.maxKeyLength).toBe(512 - "aws/".length);
    const key = keyOf(backend, "T".repeat(256), "名前/../".repeat(25));
    const name = backend.secretNameOf(key);
    expect(name.length).toBeLessThanOrEqual(512);
    expect(name).toMatch(/^[A-Za-z0-9/_+=.@-]{1,512}$/);
    const manager = managerOf(backend);
    await manager.storeCredentials("名前/../".repeat(25), "T".repeat(256), { apiKey: "long-ids-value-1" });
    expect(server.secret(name)).toBeDefined();
    expect(
      ConfigurationError.isInstance(
        await caught(Promise.resolve().then(() => backendWith({ prefix: "bad prefix/" }))),
      ),
    ).toBe(true);
    expect(
      ConfigurationError.isInstance(
        await caught(Promise.resolve().then(() => backendWith({ prefix: "p".repeat(420) }))),
      ),
    ).toBe(true);
    expect(
      ConfigurationError.isInstance(
        await caught(Promise.resolve().then(() => backendWith({ recoveryWindowInDays: 3 }))),
      ),
    ).toBe(true);
  });

  it("lists one tenant with ListSecrets filters, never a tenant whose id merely starts the same", async () => {
    const backend = backendWith();
    const manager = managerOf(backend);
    const base = uniqueId("tenant");
    await manager.storeCredentials("mine", base, { apiKey: "listed-value-001" });
    await manager.storeCredentials("theirs", `${base}x`, { apiKey: "listed-value-002" });
    server.reset();
    const page = await manager.listCredentials(base);
    expect(page.items.map((item) => item.connectionId)).toEqual(["mine"]);
    const list = server.requests.find((request) => request.target === "ListSecrets");
    expect(list?.body.Filters).toEqual(
      expect.arrayContaining([{ Key: "name", Values: [`aws/${encodeTenantId(base)}/`] }]),
    );
    expect(server.count("BatchGetSecretValue")).toBe(1);
    expect(server.count("GetSecretValue")).toBe(0);
  });

  it("reads region, endpoint and credentials from the standard AWS environment", async () => {
    expect(definition.missingVariables({})).toEqual(["AWS_REGION"]);
    expect(definition.missingVariables({ AWS_REGION: "eu-west-1" })).toEqual([]);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret-from-env");
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint);
    vi.stubEnv("CREDKIT_AWS_PREFIX", "fromenv/");
    const manager = await createCredentialManager({ backend: "aws", encryptionKey: "a".repeat(64) });
    opened.push(manager.backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("env", tenant, { apiKey: "from-env-value01" });
    expect(server.secret(`fromenv/${encodeTenantId(tenant)}/env`)).toBeDefined();
    const viaChain = backendWith({
      endpoint: undefined,
      credentials: undefined,
      region: undefined,
      prefix: "chain/",
    });
    await managerOf(viaChain).storeCredentials("env", tenant, { apiKey: "via-chain-value1" });
    expect(server.secret(`chain/${encodeTenantId(tenant)}/env`)).toBeDefined();
  });

  it("takes credentials from a custom env object, not only process.env, and scrubs them from errors", async () => {
    const secretAccessKey = canary("env-object-secret-key");
    server.accessKeys.add("AKIDENVOBJECT");
    const manager = await createCredentialManager({
      backend: "aws",
      cache: false,
      env: {
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
        AWS_ACCESS_KEY_ID: "AKIDENVOBJECT",
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_MAX_ATTEMPTS: "1",
        CREDKIT_AWS_PREFIX: "envobject/",
        CREDENTIAL_ENCRYPTION_KEY: "b".repeat(64),
      },
    });
    opened.push(manager.backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("env", tenant, { apiKey: "env-object-value" });
    expect(server.secret(`envobject/${encodeTenantId(tenant)}/env`)).toBeDefined();
    server.reset();
    server.faults.push({ target: "GetSecretValue", kind: "error500" });
    const error = await caught(manager.getCredentials("env", tenant));
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect(server.count("GetSecretValue")).toBe(1);
    assertNoLeak(error, secretAccessKey);
    await expect(definition.fromEnv({ AWS_REGION: "us-east-1", AWS_MAX_ATTEMPTS: "0" })).rejects.toThrow(
      /AWS_MAX_ATTEMPTS/,
    );
  });

  it("sends over a given clientOptions.requestHandler instead of its own", async () => {
    const inner = undiciRequestHandler(5_000) as { handle(...args: unknown[]): Promise<unknown> };
    let sent = 0;
    const requestHandler = {
      ...inner,
      handle: (...args: unknown[]) => {
        sent++;
        return inner.handle(...args);
      },
    };
    const backend = backendWith({ prefix: "own-handler/", clientOptions: { requestHandler } as never });
    const tenant = uniqueId("tenant");
    await managerOf(backend).storeCredentials("h", tenant, { apiKey: "own-handler-value" });
    expect((await managerOf(backend).getCredentials("h", tenant)).apiKey?.reveal()).toBe("own-handler-value");
    expect(sent).toBeGreaterThanOrEqual(2);
  });

  it("its own request handler refuses, before sending, what Secrets Manager never sends", async () => {
    const handler = undiciRequestHandler(5_000) as { handle(request: object): Promise<unknown> };
    const url = new URL(endpoint);
    const request = { protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: "/" };
    const before = server.requests.length;
    const withQuery = { ...request, method: "POST", headers: {}, query: { a: "1" } };
    await expect(handler.handle(withQuery)).rejects.toThrow(/no query strings/);
    const streamed = { ...request, method: "POST", headers: {}, body: new ReadableStream() };
    await expect(handler.handle(streamed)).rejects.toThrow(/text bodies only/);
    expect(server.requests.length).toBe(before);
  });

  it("uses an injected SecretsManagerClient and leaves it open on close", async () => {
    const client = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
    const backend = awsSecretsManagerBackend({ client, prefix: "injected/", lib: sdk });
    const tenant = uniqueId("tenant");
    await managerOf(backend).storeCredentials("c", tenant, { apiKey: "injected-value-1" });
    await backend.close?.();
    const described = await client.send(
      new DescribeSecretCommand({ SecretId: `injected/${encodeTenantId(tenant)}/c` }),
    );
    expect(described.VersionIdsToStages).toEqual({ [versionToken(1)]: ["AWSCURRENT"] });
    client.destroy();
    // @ts-expect-error: the types forbid a client with client settings; a JavaScript caller gets ConfigurationError.
    expect(() => awsSecretsManagerBackend({ client, region: "us-east-1" })).toThrow(
      /either an existing client/,
    );
    // @ts-expect-error: `client` and `clientOptions` exclude each other.
    expect(() => awsSecretsManagerBackend({ client, clientOptions: { region: "us-east-1" } })).toThrow(
      /got client and clientOptions/,
    );
  });
});

describe("aws-secrets-manager: record guard", () => {
  it("masked forms round-trip; a version whose stored metadata was edited is IntegrityError", async () => {
    const backend = backendWith();
    const key = keyOf(backend, uniqueId("guard"), "guarded");
    await proveRecordGuard(backend, key, () => {
      const stored = server.secret(backend.secretNameOf(key));
      for (const version of stored?.versions.values() ?? []) {
        const record = JSON.parse(version.string as string);
        (version as { string: string }).string = JSON.stringify({
          ...record,
          metadata: malformed(record.metadata),
        });
      }
    });
  });
});

function sampleMetadata(tenant: string, name: string): RecordMetadata {
  const now = new Date().toISOString();
  return { tenant, name, type: "api_key", fingerprints: {}, keyId: null, createdAt: now, updatedAt: now };
}
