/**
 * The LLM connectors added beside OpenAI: the OpenAI-compatible hosts (one implementation, a
 * catalog entry each), Azure OpenAI (the openai SDK's AzureOpenAI client), Mistral and Cohere
 * (their official SDKs). Each passes the connector contract against its loopback stand-in and
 * generates text; the SDKs never read the server's environment.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { definition as azureOpenAI } from "../../src/connectors/azure-openai/index.js";
import { definition as cohere } from "../../src/connectors/cohere/index.js";
import { definition as mistral } from "../../src/connectors/mistral/index.js";
import { definitions as compatible } from "../../src/connectors/openai-compatible/index.js";
import {
  OPENAI_COMPATIBLE_HOSTS,
  type OpenAICompatibleId,
} from "../../src/connectors/openai-compatible/spec.js";
import { getConnector } from "../../src/connectors/registry.js";
import { runConnectorContract } from "../contract/connector-contract.js";
import { startAzureOpenAIServer } from "../servers/providers/azure-openai.js";
import { type LoopbackServer, presented, refusedUrl } from "../servers/providers/base.js";
import { COHERE_MODELS, startCohereServer } from "../servers/providers/cohere.js";
import { MISTRAL_MODELS, startMistralServer } from "../servers/providers/mistral.js";
import { HOST_WIRE, startOpenAICompatibleServer } from "../servers/providers/openai-compatible.js";
import { guardOutput } from "../support/output.js";
import { alphanumericKey, SDK_ENV } from "./support.js";

/** A valid and a wrong key of each host's format. */
const hostKey = (id: OpenAICompatibleId): string =>
  ({
    groq: alphanumericKey(52, "gsk_"),
    together: `tgp_v1_${alphanumericKey(43)}`,
    deepseek: alphanumericKey(32, "sk-"),
    xai: alphanumericKey(80, "xai-"),
    openrouter: alphanumericKey(64, "sk-or-v1-"),
  })[id];
const hostIds = Object.keys(OPENAI_COMPATIBLE_HOSTS) as OpenAICompatibleId[];
const keys = {
  ...Object.fromEntries(hostIds.map((id) => [id, [hostKey(id), hostKey(id)]])),
  "azure-openai": [alphanumericKey(84), alphanumericKey(84)],
  mistral: [alphanumericKey(32), alphanumericKey(32)],
  cohere: [alphanumericKey(40), alphanumericKey(40)],
} as Record<string, [string, string]>;
guardOutput(() => Object.values(keys).flat());

const bearer = (request: { headers: Readonly<Record<string, string | string[] | undefined>> }) =>
  presented(request as never, "authorization");

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  // The host's own settings must never be used: a key the stand-ins refuse, a dead endpoint.
  const dead = await refusedUrl();
  for (const name of ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "MISTRAL_API_KEY", "CO_API_KEY"]) {
    vi.stubEnv(name, "host-key-that-must-not-be-sent");
  }
  vi.stubEnv("OPENAI_BASE_URL", dead);
  vi.stubEnv("AZURE_OPENAI_ENDPOINT", dead);
  vi.stubEnv("OPENAI_API_VERSION", "1999-01-01");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

for (const id of hostIds) {
  const [valid, wrong] = keys[id] as [string, string];
  runConnectorContract({
    definition: compatible[id],
    startServer: () => startOpenAICompatibleServer({ id, apiKey: valid }),
    basePath: HOST_WIRE[id].prefix,
    credentials: (key) => ({ apiKey: key }),
    validKey: valid,
    wrongKey: wrong,
    malformedKey: "sk-proj-not-this-hosts-format",
    presentedKey: bearer,
  });
}

const AZURE = { deployment: "gpt-4o-mini-eu", apiVersion: "2024-10-21" };
const [azureValid, azureWrong] = keys["azure-openai"] as [string, string];
runConnectorContract({
  definition: azureOpenAI,
  startServer: () => startAzureOpenAIServer({ apiKey: azureValid, ...AZURE }),
  credentials: (key) => ({ apiKey: key, endpoint: "https://contoso-eu.openai.azure.com", ...AZURE }),
  validKey: azureValid,
  wrongKey: azureWrong,
  malformedKey: "not-an-azure-key",
  presentedKey: (request) => presented(request as never, "api-key"),
});

const [mistralValid, mistralWrong] = keys.mistral as [string, string];
runConnectorContract({
  definition: mistral,
  startServer: () => startMistralServer({ apiKey: mistralValid }),
  credentials: (key) => ({ apiKey: key }),
  validKey: mistralValid,
  wrongKey: mistralWrong,
  malformedKey: "too-short",
  presentedKey: bearer,
});

const [cohereValid, cohereWrong] = keys.cohere as [string, string];
runConnectorContract({
  definition: cohere,
  startServer: () => startCohereServer({ apiKey: cohereValid }),
  credentials: (key) => ({ apiKey: key }),
  validKey: cohereValid,
  wrongKey: cohereWrong,
  malformedKey: "too-short",
  presentedKey: bearer,
});

describe("generateText on each new LLM connector, through the registry", () => {
  const servers: LoopbackServer[] = [];
  const start = async (server: Promise<LoopbackServer>) => {
    const started = await server;
    servers.push(started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it.each(hostIds)(
    "%s: chat completion on the host's path, the connection's model, the key as Bearer",
    async (id) => {
      const [valid] = keys[id] as [string, string];
      const server = await start(startOpenAICompatibleServer({ id, apiKey: valid }));
      await using connector = await getConnector(
        id,
        { apiKey: valid, model: "house-model" },
        { baseURL: `${server.url}${HOST_WIRE[id].prefix}`, maxRetries: 0 },
      );
      const result = await connector.generateText("hello", { system: "be brief", maxTokens: 5 });
      expect(result).toMatchObject({ text: "echo: hello", model: "house-model", finishReason: "stop" });
      const sent = server.requests.at(-1);
      expect(sent?.path).toBe(`${HOST_WIRE[id].prefix}/chat/completions`);
      expect(sent?.body).toMatchObject({
        model: "house-model",
        max_completion_tokens: 5,
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "hello" },
        ],
      });
      expect(bearer(sent as never)).toBe(valid);
    },
  );

  it("each host defaults to its own model and verifies with its own call (OpenRouter: GET /key)", async () => {
    for (const id of hostIds) {
      const [valid] = keys[id] as [string, string];
      const server = await start(startOpenAICompatibleServer({ id, apiKey: valid, model: `${id}-model` }));
      await using connector = await getConnector(
        id,
        { apiKey: valid },
        { baseURL: `${server.url}${HOST_WIRE[id].prefix}`, maxRetries: 0 },
      );
      const verdict = await connector.testConnection();
      expect(verdict.success, id).toBe(true);
      expect(verdict.details.models, id).toEqual(id === "openrouter" ? undefined : [`${id}-model`]);
      await connector.generateText("hi");
      expect((server.requests.at(-1)?.body as { model?: string } | undefined)?.model, id).toBe(
        OPENAI_COMPATIBLE_HOSTS[id].defaultModel,
      );
    }
  });

  it("xAI's 400 'Incorrect API key' is unauthorized; another 400 stays a provider rejection", async () => {
    const [valid, wrong] = keys.xai as [string, string];
    const server = await start(startOpenAICompatibleServer({ id: "xai", apiKey: valid }));
    const options = { baseURL: `${server.url}/v1`, maxRetries: 0 };
    await using refused = await getConnector("xai", { apiKey: wrong }, options);
    expect(await refused.testConnection()).toMatchObject({
      success: false,
      code: "unauthorized",
      error: "xAI API key is invalid or expired",
      details: { httpStatus: 400 },
    });
    await using accepted = await getConnector("xai", { apiKey: valid }, options);
    server.fail({ status: 400, body: { code: "Client specified an invalid argument", error: "bad model" } });
    expect(await accepted.testConnection()).toMatchObject({ success: false, code: "provider_error" });
  });

  it("azure-openai: the deployment in the path, api-version in the query, the key in api-key only", async () => {
    const server = await start(startAzureOpenAIServer({ apiKey: azureValid, ...AZURE }));
    await using connector = await getConnector(
      "azure-openai",
      { apiKey: azureValid, endpoint: "https://contoso-eu.openai.azure.com", ...AZURE },
      { baseURL: server.url, maxRetries: 0 },
    );
    const result = await connector.generateText("hello");
    expect(result.text).toBe("echo: hello");
    const sent = server.requests.at(-1);
    expect(sent?.path).toBe(`/openai/deployments/${AZURE.deployment}/chat/completions`);
    expect(sent?.query.get("api-version")).toBe(AZURE.apiVersion);
    expect(sent?.headers.authorization).toBeUndefined();
    expect((await connector.testConnection()).details.models).toEqual(["gpt-4o-mini-2024-07-18"]);
  });

  it("azure-openai: an unknown deployment is a typed NotFoundError, scrubbed of the key", async () => {
    const server = await start(startAzureOpenAIServer({ apiKey: azureValid, ...AZURE }));
    await using connector = await getConnector(
      "azure-openai",
      { apiKey: azureValid, endpoint: "https://contoso-eu.openai.azure.com", ...AZURE, deployment: "nope" },
      { baseURL: server.url, maxRetries: 0 },
    );
    await expect(connector.generateText("hello")).rejects.toMatchObject({ code: "not_found" });
  });

  it("mistral: chat.complete with the connection's model; listModels", async () => {
    const server = await start(startMistralServer({ apiKey: mistralValid }));
    await using connector = await getConnector(
      "mistral",
      { apiKey: mistralValid, model: "mistral-large-latest" },
      { baseURL: server.url, maxRetries: 0 },
    );
    const result = await connector.generateText("hello", { maxTokens: 7, temperature: 0.1 });
    expect(result).toEqual({
      text: "echo: hello",
      model: "mistral-large-latest",
      finishReason: "stop",
      usage: { inputTokens: 5, outputTokens: 11 },
    });
    expect(server.requests.at(-1)?.body).toMatchObject({ max_tokens: 7, temperature: 0.1 });
    expect((await connector.listModels()).map((model) => model.id)).toEqual(MISTRAL_MODELS);
  });

  it("cohere: v2 chat with the connection's model; billed usage; listModels", async () => {
    const server = await start(startCohereServer({ apiKey: cohereValid }));
    await using connector = await getConnector(
      "cohere",
      { apiKey: cohereValid, model: "command-a-03-2025" },
      { baseURL: server.url, maxRetries: 0 },
    );
    const result = await connector.generateText("hello", { system: "terse", maxTokens: 9 });
    expect(result).toEqual({
      text: "echo: hello",
      model: "command-a-03-2025",
      finishReason: "COMPLETE",
      usage: { inputTokens: 5, outputTokens: 11 },
    });
    expect(server.requests.at(-1)?.body).toMatchObject({
      model: "command-a-03-2025",
      max_tokens: 9,
      messages: [
        { role: "system", content: "terse" },
        { role: "user", content: "hello" },
      ],
    });
    expect((await connector.listModels()).map((model) => model.id)).toEqual(COHERE_MODELS);
  });
});
