/** The five built-in connectors run the connector contract against their loopback stand-ins. */
import { afterAll, beforeAll, vi } from "vitest";
import { definition as anthropic } from "../../src/connectors/anthropic/index.js";
import { definition as firecrawl } from "../../src/connectors/firecrawl/index.js";
import { definition as gemini } from "../../src/connectors/gemini/index.js";
import { definition as http } from "../../src/connectors/http/index.js";
import { definition as openai } from "../../src/connectors/openai/index.js";
import { runConnectorContract } from "../contract/connector-contract.js";
import { sentKey as anthropicKey, startAnthropicServer } from "../servers/providers/anthropic.js";
import { presented, startLoopback } from "../servers/providers/base.js";
import { startFirecrawlServer } from "../servers/providers/firecrawl.js";
import { startGeminiServer } from "../servers/providers/gemini.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { guardOutput } from "../support/output.js";
import { providerKey, SDK_ENV } from "./support.js";

const keys = {
  openai: [providerKey("sk-"), providerKey("sk-")],
  anthropic: [providerKey("sk-ant-"), providerKey("sk-ant-")],
  firecrawl: [providerKey("fc-"), providerKey("fc-")],
  gemini: [providerKey("AIza"), providerKey("AIza")],
  http: [`tok-${providerKey("sk-")}`, `tok-${providerKey("sk-")}`],
} as const;
guardOutput(() => Object.values(keys).flat());

beforeAll(() => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const apiKey = (key: string) => ({ apiKey: key });
const [openaiValid, openaiWrong] = keys.openai;
runConnectorContract({
  definition: openai,
  startServer: () => startOpenAIServer({ apiKey: openaiValid }),
  basePath: "/v1",
  credentials: apiKey,
  validKey: openaiValid,
  wrongKey: openaiWrong,
  malformedKey: "not-an-openai-key",
  presentedKey: (request) => presented(request as never, "authorization"),
});

const [anthropicValid, anthropicWrong] = keys.anthropic;
runConnectorContract({
  definition: anthropic,
  startServer: () => startAnthropicServer({ apiKey: anthropicValid }),
  credentials: apiKey,
  validKey: anthropicValid,
  wrongKey: anthropicWrong,
  malformedKey: "sk-not-anthropic",
  presentedKey: (request) => anthropicKey(request as never),
});

const [firecrawlValid, firecrawlWrong] = keys.firecrawl;
runConnectorContract({
  definition: firecrawl,
  startServer: () => startFirecrawlServer({ apiKey: firecrawlValid }),
  credentials: apiKey,
  validKey: firecrawlValid,
  wrongKey: firecrawlWrong,
  malformedKey: "sk-not-firecrawl",
  presentedKey: (request) => presented(request as never, "authorization"),
});

const [geminiValid, geminiWrong] = keys.gemini;
runConnectorContract({
  definition: gemini,
  startServer: () => startGeminiServer({ apiKey: geminiValid }),
  credentials: apiKey,
  validKey: geminiValid,
  wrongKey: geminiWrong,
  malformedKey: "AIza-too-short",
  presentedKey: (request) =>
    presented(request as never, "x-goog-api-key") ?? request.query.get("key") ?? undefined,
});

const [httpValid, httpWrong] = keys.http;
runConnectorContract({
  definition: http,
  startServer: () =>
    startLoopback(
      (request) =>
        presented(request, "authorization") === httpValid
          ? undefined
          : { status: 401, body: { error: "unauthorized" } },
      () => ({ status: 200, body: { ok: true } }),
    ),
  credentials: (key) => ({ token: key }),
  validKey: httpValid,
  wrongKey: httpWrong,
  presentedKey: (request) => presented(request as never, "authorization"),
});
