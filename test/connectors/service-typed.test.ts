/** Issue 14 item 7: the service says which connector a connection is, in the types and at run time. */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import type { OpenAIConnector } from "../../src/connectors/openai/index.js";
import { ConnectorMismatchError } from "../../src/connectors/service.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { guardOutput } from "../support/output.js";
import { expectNowhere, serviceOn } from "./service-support.js";
import { providerKey, rejection, SDK_ENV } from "./support.js";

const key = providerKey("sk-");
const anthropicKey = providerKey("sk-ant-");
guardOutput(() => [key, anthropicKey]);
let server: LoopbackServer;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  server = await startOpenAIServer({ apiKey: key, echoKey: true });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

describe("issue 14 item 7: typed connections", () => {
  it('issue 14 item 7: withConnector("openai", id, (openai) => openai.generateText(...)) is typed and runs', async () => {
    const { service, manager, tenantId } = serviceOn({
      connectorOptions: { baseURL: `${server.url}/v1`, maxRetries: 0 },
    });
    await manager.storeCredentials("openai_api_key", tenantId, { api_key: key });
    const connection = await service.create({
      connector: "openai",
      instanceName: "My AI Assistant",
      configuration: { model: "gpt-4o-mini" },
      secretsReferences: { api_key: { secret_name: "openai_api_key" } },
    });
    const result = await service.withConnector("openai", connection.id, (openai) => {
      expectTypeOf(openai).toEqualTypeOf<OpenAIConnector>();
      // @ts-expect-error an OpenAI connector has no scrapeUrl: the parameter is typed, not Connector<unknown>
      expect(openai.scrapeUrl).toBeUndefined();
      return openai.generateText("Hello!");
    });
    expectTypeOf(result).toEqualTypeOf<Awaited<ReturnType<OpenAIConnector["generateText"]>>>();
    expect(result.text).toBe("echo: Hello!");

    const instance = await service.createSdkConnectorInstance("openai", connection.id);
    expectTypeOf(instance).toEqualTypeOf<OpenAIConnector>();
    await instance.cleanup();
  });

  it("issue 14 item 7: naming the wrong connector is a ConnectorMismatchError before any secret is read", async () => {
    const { service, manager } = serviceOn();
    const connection = await service.create({
      connector: "anthropic",
      instanceName: "Claude",
      configuration: { api_key: anthropicKey },
    });
    const before = manager.audit.events({ action: "read" }).length;
    const called = vi.fn();
    const error = await rejection(service.withConnector("openai", connection.id, called));
    expect(error).toBeInstanceOf(ConnectorMismatchError);
    expect(error).toMatchObject({ code: "validation", expected: "openai", actual: "anthropic" });
    expect(error.message).toContain('"anthropic" connection, not "openai"');
    expect(called).not.toHaveBeenCalled();
    expect(manager.audit.events({ action: "read" }).length).toBe(before);
    const direct = await rejection(service.createSdkConnectorInstance("gemini", connection.id));
    expect(ConnectorMismatchError.isInstance(direct)).toBe(true);
    expectNowhere(anthropicKey, error, direct);
  });
});
