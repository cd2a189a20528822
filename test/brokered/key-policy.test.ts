/**
 * BYOK policy through the OpenAI SDK against a loopback stand-in: the tenant's own key first;
 * the platform's only when the operator opted in (per provider or per tenant); closed by
 * default with a typed error and no call made; every result says which key it used.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { createBroker, type KeyPolicyOptions } from "../../src/connectors/brokered/index.js";
import { KeyPolicyError, UnavailableError } from "../../src/core/errors.js";
import { providerKey, rejection, SDK_ENV } from "../connectors/support.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { instrument } from "../support/instrumented-backend.js";
import { guardOutput } from "../support/output.js";
import { managerOn } from "./support.js";

const tenantKey = providerKey("sk-");
const platformKey = providerKey("sk-");
guardOutput(() => [tenantKey, platformKey]);

let tenantServer: LoopbackServer;
let platformServer: LoopbackServer;
beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  // One stand-in per key, so the wire shows whose key went out.
  tenantServer = await startOpenAIServer({ apiKey: tenantKey });
  platformServer = await startOpenAIServer({ apiKey: platformKey });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([tenantServer.close(), platformServer.close()]);
});

async function setup(keyPolicy: Omit<KeyPolicyOptions, "platformKeys">) {
  const backend = memoryBackend({ env: {} });
  const manager = managerOn(backend);
  await manager.storeCredentials("openai", "platform", { apiKey: platformKey });
  await manager.storeCredentials("openai", "has-key", { apiKey: tenantKey });
  const broker = createBroker({
    credentials: manager,
    keyPolicy: { ...keyPolicy, platformKeys: { openai: { tenantId: "platform", connectionId: "openai" } } },
    hosts: { openai: [tenantServer.url, platformServer.url] },
  });
  return { manager, broker };
}

const sent = () => tenantServer.requests.length + platformServer.requests.length;

describe("key policy", () => {
  it("closed by default: a tenant without a key gets KeyPolicyError and no call is made", async () => {
    const { broker } = await setup({});
    const before = sent();
    const error = await rejection(
      broker.connect("openai", "no-key", { baseURL: `${platformServer.url}/v1` }),
    );
    expect(KeyPolicyError.isInstance(error)).toBe(true);
    expect((error as KeyPolicyError).code).toBe("key_policy");
    expect(String((error as Error).message)).not.toContain(platformKey);
    expect(sent()).toBe(before);
  });

  it("a tenant with its own key uses it, and says so", async () => {
    const { broker } = await setup({ fallback: { providers: ["openai"] } });
    await using connector = await broker.connect("openai", "has-key", { baseURL: `${tenantServer.url}/v1` });
    const result = await connector.generateText("mine");
    expect(result).toMatchObject({ text: "echo: mine", keySource: "tenant" });
    expect(connector.reference).toEqual({ tenantId: "has-key", connectionId: "openai" });
    expect(tenantServer.requests.at(-1)?.headers.authorization).toBe(`Bearer ${tenantKey}`);
  });

  it.each([
    ["per provider", { fallback: { providers: ["openai"] } }],
    ["per tenant", { fallback: { tenants: ["no-key"] } }],
    [
      "by rule",
      { fallback: (tenantId: string, provider: string) => tenantId === "no-key" && provider === "openai" },
    ],
  ] as const)("opened %s: the call uses the platform key and says so", async (_, policy) => {
    const { broker, manager } = await setup(policy);
    await using connector = await broker.connect("openai", "no-key", { baseURL: `${platformServer.url}/v1` });
    expect(connector.keySource).toBe("platform");
    const result = await connector.generateText("borrowed");
    expect(result).toMatchObject({ text: "echo: borrowed", keySource: "platform" });
    expect((await connector.testConnection()).keySource).toBe("platform");
    expect(platformServer.requests.at(-1)?.headers.authorization).toBe(`Bearer ${platformKey}`);
    const [event] = manager.audit.events({ action: "call", tenant: "platform" });
    expect(event?.call?.keySource).toBe("platform");
  });

  it("opened for another tenant or provider only: still closed", async () => {
    const { broker } = await setup({ fallback: { tenants: ["someone-else"], providers: ["anthropic"] } });
    const error = await rejection(broker.connect("openai", "no-key"));
    expect(KeyPolicyError.isInstance(error)).toBe(true);
  });

  it("a store that fails is an error, never a reason to use the platform's key", async () => {
    const instrumented = instrument(memoryBackend({ env: {} }));
    const manager = managerOn(instrumented.backend);
    await manager.storeCredentials("openai", "platform", { apiKey: platformKey });
    const broker = createBroker({
      credentials: manager,
      keyPolicy: {
        fallback: { providers: ["openai"] },
        platformKeys: { openai: { tenantId: "platform", connectionId: "openai" } },
      },
    });
    instrumented.failWith = new UnavailableError("store down");
    const before = sent();
    const error = await rejection(broker.connect("openai", "no-key"));
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect(sent()).toBe(before);
  });
});
