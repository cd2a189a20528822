/** The tenant connector service: storage options, references, masking, audit, lifecycle, cleanup. */

import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import {
  type ConnectionRecord,
  type ConnectionStore,
  memoryConnectionStore,
} from "../../src/connectors/connection-store.js";
import type { StatusEvent } from "../../src/connectors/lifecycle.js";
import type { OpenAIConnector } from "../../src/connectors/openai/index.js";
import { ConnectorService, UnresolvedReferenceError } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { Secret } from "../../src/core/secret.js";
import { ownedCredentials as owned } from "../../src/core/system-records.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { openaiError, startOpenAIServer } from "../servers/providers/openai.js";
import { assertNoLeak, keyring, uniqueId } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { providerKey, rejection, SDK_ENV } from "./support.js";

const key = providerKey("sk-");
const rotated = providerKey("sk-");
guardOutput(() => [key, rotated]);
let server: LoopbackServer;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  server = await startOpenAIServer({ apiKey: key, echoKey: true });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

/** A memory backend with a batch read, counting calls, to prove references resolve together. */
function batchingBackend(): Backend & { calls: { get: number; getMany: number } } {
  const inner = memoryBackend({ env: {} });
  const calls = { get: 0, getMany: 0 };
  return {
    ...inner,
    name: inner.name,
    capabilities: inner.capabilities,
    calls,
    get(key, options) {
      calls.get++;
      return inner.get(key, options);
    },
    async getMany(keys) {
      calls.getMany++;
      return Promise.all(keys.map((item) => inner.get(item).catch((error: Error) => error)));
    },
  };
}

function setup(
  options: { tenantId?: string; historyLimit?: number; backend?: Backend; store?: ConnectionStore } = {},
) {
  const backend = options.backend ?? memoryBackend({ env: {} });
  const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
  const events: StatusEvent[] = [];
  const tenantId = options.tenantId ?? uniqueId("tenant");
  const service = new ConnectorService({
    credentials: manager,
    tenantId,
    connectorOptions: { baseURL: `${server.url}/v1`, maxRetries: 0 },
    onStatusChange: (event) => events.push(event),
    ...(options.store ? { store: options.store } : {}),
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
  });
  return { manager, service, events, tenantId, backend };
}

describe("ConnectorService", () => {
  it("option A: a key put in configuration moves to the credential store, encrypted, never kept in config", async () => {
    const inner = memoryConnectionStore();
    const written: ConnectionRecord[] = [];
    const store: ConnectionStore = {
      ...inner,
      put: (record, expected) => {
        written.push(record);
        return inner.put(record, expected);
      },
    };
    const { service, manager, backend, tenantId } = setup({ store });
    const record = await service.create({
      connector: "openai",
      instanceName: "My AI Assistant",
      configuration: { api_key: key, model: "gpt-4o" },
    });
    await service.testConnectorConnection(record.id);
    await service.update(record.id, { instanceName: "Renamed", configuration: { api_key: key } });
    expect(written.length).toBeGreaterThanOrEqual(4);
    assertNoLeak(written, key);
    assertNoLeak(await service.get(record.id), key);
    expect(record.configuration).toEqual({ model: "gpt-4o" });
    expect(record.secretsReferences).toEqual({
      api_key: { secret_name: record.ownedSecrets[0], field: "api_key" },
    });
    assertNoLeak(record, key);
    assertNoLeak(await service.list(), key);
    const { encodeKey } = await import("../../src/core/key-encoding.js");
    const raw = await backend.get(
      encodeKey(tenantId, record.ownedSecrets[0]!, backend.capabilities.maxKeyLength),
    );
    assertNoLeak(raw, key);
    expect((await owned(manager).getCredentials(record.ownedSecrets[0]!, tenantId)).api_key?.reveal()).toBe(
      key,
    );

    const masked = await service.getMaskedCredentials(record.id);
    expect(masked).toEqual({ model: "gpt-4o", api_key: new Secret(key).masked });
    expect(String(masked.api_key)).toMatch(/^\*\*\*.{1,6}$/);
  });

  it("option B: secretsReferences resolve to Secrets with accessor connector_{id}; audit records the access", async () => {
    const { service, manager, tenantId } = setup();
    await manager.storeCredentials("openai_api_key", tenantId, { apiKey: key }, { type: "api_key" });
    const record = await service.create({
      id: "42",
      connector: "openai",
      instanceName: "Assistant",
      configuration: { default_model: "gpt-4o" },
      secretsReferences: { api_key: { secret_name: "openai_api_key" } },
    });
    const credentials = await service.getConnectorCredentials(record.id);
    expect(credentials.default_model).toBe("gpt-4o");
    expect(credentials.api_key).toBeInstanceOf(Secret);
    expect((credentials.api_key as Secret).reveal()).toBe(key);
    const reads = manager.audit.events({ tenant: tenantId, name: "openai_api_key", action: "read" });
    expect(reads.at(-1)).toMatchObject({ accessor: "connector_42", outcome: "success" });
    expect((await manager.describeCredentials("openai_api_key", tenantId)).accessCount).toBeGreaterThan(0);

    const openai = await service.createSdkConnectorInstance<OpenAIConnector>(record.id);
    const result = await openai.generateText("Hello world!");
    await openai.cleanup();
    expect(result).toMatchObject({ text: "echo: Hello world!", model: "gpt-4o" });
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
    assertNoLeak(manager.audit.events(), key);
  });

  it("option A: secret-looking names move to the store, settings like max_tokens stay, nested secrets are refused", async () => {
    const { service, manager, tenantId } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: {
        api_key: key,
        clientSecret: rotated,
        max_tokens: 1000,
        keyword: "news",
        tokenLimit: 5,
      },
    });
    expect(record.configuration).toEqual({ max_tokens: 1000, keyword: "news", tokenLimit: 5 });
    expect(Object.keys(record.secretsReferences).sort()).toEqual(["api_key", "clientSecret"]);
    const stored = await owned(manager).getCredentials(record.ownedSecrets[0]!, tenantId);
    expect(stored.clientSecret?.reveal()).toBe(rotated);

    const nested = await rejection(
      service.create({
        connector: "openai",
        instanceName: "B",
        configuration: { api_key: key, proxy: { url: "http://proxy", auth: { password: rotated } } },
      }),
    );
    expect(nested.name).toBe("ValidationError");
    expect(nested.message).toContain('"proxy.auth.password" sits under a name that marks it secret');
    assertNoLeak(nested, rotated);
    expect((await service.list()).items.map((item) => item.instanceName)).toEqual(["A"]);
  });

  it("option B: a reference may pin a version and pick a field", async () => {
    const { service, manager, tenantId } = setup();
    await manager.storeCredentials("openai_creds", tenantId, { primary: key, note: "first" });
    await manager.updateCredentials("openai_creds", tenantId, { primary: rotated, note: "second" });
    const pinned = await service.create({
      connector: "openai",
      instanceName: "Pinned",
      secretsReferences: { api_key: { secret_name: "openai_creds", field: "primary", version: 1 } },
    });
    const latest = await service.create({
      connector: "openai",
      instanceName: "Latest",
      secretsReferences: { api_key: { secret_name: "openai_creds", field: "primary" } },
    });
    expect(pinned.secretsReferences.api_key).toEqual({
      secret_name: "openai_creds",
      field: "primary",
      version: 1,
    });
    expect(((await service.getConnectorCredentials(pinned.id)).api_key as Secret).reveal()).toBe(key);
    expect(((await service.getConnectorCredentials(latest.id)).api_key as Secret).reveal()).toBe(rotated);
    await expect(service.rotateCredentials(pinned.id, { api_key: key })).rejects.toThrow(
      /pinned to a version/,
    );
    for (const version of [0, 1.5]) {
      await expect(
        service.create({
          connector: "openai",
          instanceName: "Bad",
          secretsReferences: { api_key: { secret_name: "openai_creds", version } },
        }),
      ).rejects.toThrow(/version must be a positive integer/);
    }
  });

  it("all references of a connection resolve in one batch where the backend has one", async () => {
    const backend = batchingBackend();
    const { service, manager, tenantId } = setup({ backend, store: memoryConnectionStore() });
    await manager.storeCredentials("svc-token", tenantId, { token: "token-value-0123456789" });
    await manager.storeCredentials("svc-key", tenantId, { value: "apikey-value-0123456789" });
    const record = await service.create({
      connector: "http",
      instanceName: "Internal API",
      configuration: { baseURL: "http://127.0.0.1:1" },
      secretsReferences: {
        token: { secret_name: "svc-token" },
        apiKey: { secret_name: "svc-key", field: "value" },
      },
    });
    backend.calls.get = 0;
    backend.calls.getMany = 0;
    const credentials = await service.getConnectorCredentials(record.id);
    expect((credentials.apiKey as Secret).reveal()).toBe("apikey-value-0123456789");
    expect((credentials.token as Secret).reveal()).toBe("token-value-0123456789");
    expect(backend.calls).toEqual({ get: 0, getMany: 1 });
  });

  it("an unresolvable reference is a typed error naming it; another tenant's secret behaves as not found", async () => {
    const a = setup();
    await a.manager.storeCredentials("openai_api_key", a.tenantId, { apiKey: key });
    const b = new ConnectorService({ credentials: a.manager, tenantId: uniqueId("tenant-b") });
    const stolen = await b.create({
      connector: "openai",
      instanceName: "x",
      secretsReferences: { api_key: { secret_name: "openai_api_key" } },
    });
    const missing = await b.create({
      connector: "openai",
      instanceName: "y",
      secretsReferences: { api_key: { secret_name: "no_such_secret" } },
    });
    const crossTenant = await rejection(b.getConnectorCredentials(stolen.id));
    const absent = await rejection(b.getConnectorCredentials(missing.id));
    expect(crossTenant).toBeInstanceOf(UnresolvedReferenceError);
    expect(crossTenant.message).toContain(
      'Secret reference "api_key" (secret_name "openai_api_key") could not be resolved: no such secret for this tenant',
    );
    expect(absent.message.replace("no_such_secret", "openai_api_key")).toBe(crossTenant.message);
    assertNoLeak(crossTenant, key);

    const wrongField = await a.service.create({
      connector: "openai",
      instanceName: "z",
      secretsReferences: { api_key: { secret_name: "openai_api_key", field: "nope" } },
    });
    const fieldError = await rejection(a.service.getConnectorCredentials(wrongField.id));
    expect(fieldError.message).toContain('the secret has no field "nope"');
    expect(await a.service.testConnectorConnection(wrongField.id)).toMatchObject({
      success: false,
      code: "unresolved_reference",
    });
    expect((await a.service.get(wrongField.id)).status).toBe("error");

    await expect(
      a.service.create({
        connector: "openai",
        instanceName: "n",
        secretsReferences: { api_key: { secret_name: "k", backend: "aws" } },
      }),
    ).rejects.toThrow(/backend "aws" is not supported/);
    await expect(a.service.create({ connector: "openai", instanceName: "n" })).rejects.toThrow(
      /needs "apiKey"/,
    );
    await expect(a.service.create({ connector: "nope", instanceName: "n" })).rejects.toThrow(
      /Available connectors/,
    );
  });

  it("test connection: pending → validating → active with events, history and an audit test event", async () => {
    const { service, manager, events, tenantId } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
    });
    const result = await service.testConnectorConnection(record.id);
    expect(result).toMatchObject({
      success: true,
      status: "active",
      details: { models: expect.arrayContaining(["gpt-4o"]) },
    });
    const after = await service.get(record.id);
    expect(after.status).toBe("active");
    expect(after.validatedAt).toBeDefined();
    expect(after.errorMessage).toBeUndefined();
    expect(after.history.map((step) => `${step.from}->${step.to}:${step.reason}`)).toEqual([
      "null->pending:created",
      "pending->validating:validation_started",
      "validating->active:validated",
    ]);
    expect(events.map((event) => event.to)).toEqual(["pending", "validating", "active"]);
    expect(events[2]).toMatchObject({ tenantId, connectionId: record.id, from: "validating" });
    expect(manager.audit.events({ tenant: tenantId, action: "test" }).at(-1)).toMatchObject({
      accessor: `connector_${record.id}`,
      outcome: "success",
    });
  });

  it("a failed test → error with the documented message; rotation → pending; re-test → active", async () => {
    const { service, manager, tenantId, events } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: rotated },
    });
    const failed = await service.testConnectorConnection(record.id);
    expect(failed).toMatchObject({
      success: false,
      status: "error",
      error: "OpenAI API key is invalid or expired",
    });
    // The server echoed the rejected key in its error body: it reaches no result, event, audit
    // event or record.
    assertNoLeak(failed, rotated);
    assertNoLeak(events, rotated);
    assertNoLeak(manager.audit.events(), rotated);
    assertNoLeak(await service.get(record.id), rotated);
    expect(await service.get(record.id)).toMatchObject({
      status: "error",
      errorMessage: "OpenAI API key is invalid or expired",
    });
    expect(manager.audit.events({ tenant: tenantId, action: "test" }).at(-1)?.outcome).toBe("failure");

    const pending = await service.rotateCredentials(record.id, { api_key: key });
    expect(pending).toMatchObject({ status: "pending", statusReason: "rotated" });
    expect(pending.errorMessage).toBeUndefined();
    expect((await service.testConnectorConnection(record.id)).success).toBe(true);

    // A rotation made directly in the credential store is noticed on the next use.
    await owned(manager).updateCredentials(record.ownedSecrets[0]!, tenantId, { api_key: rotated });
    await service.getConnectorCredentials(record.id);
    expect(await service.get(record.id)).toMatchObject({ status: "pending", statusReason: "rotated" });

    // So is a new key through update().
    await owned(manager).updateCredentials(record.ownedSecrets[0]!, tenantId, { api_key: key });
    await service.testConnectorConnection(record.id);
    const updated = await service.update(record.id, { configuration: { api_key: rotated, model: "gpt-4o" } });
    expect(updated).toMatchObject({ status: "pending", configuration: { model: "gpt-4o" } });
    assertNoLeak(updated, rotated);
  });

  it("rate limit and unreachable provider map to the documented messages through the service", async () => {
    const { service } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
    });
    server.fail(openaiError(429, key));
    expect(await service.testConnectorConnection(record.id)).toMatchObject({
      error: "OpenAI rate limit exceeded during validation",
    });
    server.fail({ reset: true });
    expect(await service.testConnectorConnection(record.id)).toMatchObject({
      error: "Unable to connect to OpenAI",
    });
  });

  it("expiry → expired (on use and by checkExpiry); rotation with a new expiry → pending", async () => {
    const { service } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect((await service.checkExpiry(record.id)).status).toBe("pending");
    // Two hours pass (only Date is faked; timers and I/O stay real). The core's coarse clock
    // caches Date.now() for 1 ms: a 2 ms wait lets it read the new time.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 7_200_000 });
    onTestFinished(() => void vi.useRealTimers());
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect((await service.checkExpiry(record.id)).status).toBe("expired");
    const result = await service.testConnectorConnection(record.id);
    expect(result).toMatchObject({ success: false, status: "expired", code: "expired" });
    expect(result.error).toContain('Secret reference "api_key"');
    expect((await rejection(service.createSdkConnectorInstance(record.id))).name).toBe("ExpiredError");
    const renewed = await service.rotateCredentials(
      record.id,
      { api_key: key },
      { expiresAt: new Date(Date.now() + 3_600_000) },
    );
    expect(renewed.status).toBe("pending");
    expect(renewed.history.map((step) => step.to)).toContain("expired");
  });

  it("disable refuses use until enable; history is bounded", async () => {
    const { service } = setup({ historyLimit: 3 });
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
    });
    await service.disable(record.id, "paused by admin");
    expect((await rejection(service.createSdkConnectorInstance(record.id))).message).toContain("disabled");
    await expect(service.testConnectorConnection(record.id)).rejects.toThrow(/disabled/);
    const enabled = await service.enable(record.id);
    expect(enabled.status).toBe("pending");
    await service.testConnectorConnection(record.id);
    const final = await service.get(record.id);
    expect(final.history).toHaveLength(3);
    expect(final.history.map((step) => step.to)).toEqual(["pending", "validating", "active"]);
  });

  it("withConnector cleans up on return and on throw, and scrubs a raw SDK error carrying the key", async () => {
    const { service } = setup();
    const record = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
    });
    let seen: OpenAIConnector | undefined;
    const models = await service.withConnector(record.id, async (openai: OpenAIConnector) => {
      seen = openai;
      return openai.listModels();
    });
    expect(models.length).toBeGreaterThan(0);
    expect(seen?.closed).toBe(true);
    server.fail(openaiError(500, key));
    const error = await rejection(
      service.withConnector(record.id, async (openai: OpenAIConnector) => {
        seen = openai;
        return openai.client.models.list({ maxRetries: 0 });
      }),
    );
    expect(seen?.closed).toBe(true);
    assertNoLeak(error, key);
  });

  it("delete removes the connection and its own secret, not referenced ones; the store is tenant-scoped", async () => {
    const store = memoryConnectionStore();
    const { manager, tenantId } = setup();
    const service = new ConnectorService({ credentials: manager, tenantId, store });
    const other = new ConnectorService({ credentials: manager, tenantId: uniqueId("other"), store });
    await manager.storeCredentials("shared", tenantId, { apiKey: key });
    const owning = await service.create({
      connector: "openai",
      instanceName: "A",
      configuration: { api_key: key },
    });
    const referencing = await service.create({
      connector: "openai",
      instanceName: "B",
      secretsReferences: { api_key: { secret_name: "shared" } },
    });
    expect((await other.list()).items).toEqual([]);
    await expect(other.get(owning.id)).rejects.toThrow(/No connection/);
    await service.delete(owning.id);
    await service.delete(referencing.id);
    expect((await service.list()).items).toEqual([]);
    await expect(owned(manager).getCredentials(owning.ownedSecrets[0]!, tenantId)).rejects.toThrow(
      /No credential/,
    );
    expect((await manager.getCredentials("shared", tenantId)).apiKey?.reveal()).toBe(key);
  });
});
