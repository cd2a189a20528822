/** Anthropic, Gemini and Firecrawl connectors over their official SDKs, against loopback servers. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ConnectorTypes, getConnector } from "../../src/connectors/registry.js";
import { anthropicError, sentKey, startAnthropicServer } from "../servers/providers/anthropic.js";
import { type LoopbackServer, refusedUrl } from "../servers/providers/base.js";
import { firecrawlError, startFirecrawlServer } from "../servers/providers/firecrawl.js";
import { GEMINI_MODELS, geminiError, startGeminiServer } from "../servers/providers/gemini.js";
import { assertNoLeak } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { providerKey, rejection, SDK_ENV } from "./support.js";

const keys = {
  anthropic: providerKey("sk-ant-"),
  gemini: providerKey("AIza"),
  firecrawl: providerKey("fc-"),
};
const wrong = {
  anthropic: providerKey("sk-ant-"),
  gemini: providerKey("AIza"),
  firecrawl: providerKey("fc-"),
};
guardOutput(() => [...Object.values(keys), ...Object.values(wrong)]);

/** Major of the installed @anthropic-ai/sdk (its package.json is not in its exports). */
const anthropicMajor = Number(
  JSON.parse(
    readFileSync(join(process.cwd(), "node_modules/@anthropic-ai/sdk/package.json"), "utf8"),
  ).version.split(".")[0],
);

const servers = {} as Record<"anthropic" | "gemini" | "firecrawl", LoopbackServer>;
let refused: string;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  vi.stubEnv("GEMINI_API_KEY", providerKey("AIza"));
  vi.stubEnv("ANTHROPIC_AUTH_TOKEN", "host-token-that-must-not-be-sent");
  servers.anthropic = await startAnthropicServer({ apiKey: keys.anthropic, echoKey: true });
  servers.gemini = await startGeminiServer({ apiKey: keys.gemini, echoKey: true });
  servers.firecrawl = await startFirecrawlServer({ apiKey: keys.firecrawl, echoKey: true });
  refused = await refusedUrl();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

const errorShapes = { anthropic: anthropicError, gemini: geminiError, firecrawl: firecrawlError };
const names = { anthropic: "Anthropic", gemini: "Gemini", firecrawl: "Firecrawl" };

function connect<Id extends "anthropic" | "gemini" | "firecrawl">(
  id: Id,
  options: { apiKey?: string; baseURL?: string; timeout?: number } = {},
): Promise<ConnectorTypes[Id]> {
  return getConnector(
    id,
    { apiKey: options.apiKey ?? keys[id] },
    {
      baseURL: options.baseURL ?? servers[id].url,
      maxRetries: 0,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    },
  ) as Promise<ConnectorTypes[Id]>;
}

describe("anthropic", () => {
  it("generateText takes the default model id and sends the key on the wire with a dated anthropic-version", async () => {
    const server = servers.anthropic;
    server.requests.length = 0;
    await using anthropic = await connect("anthropic");
    const result = await anthropic.generateText("Hello!", { model: "claude-3-haiku-20240307" });
    expect(result).toMatchObject({
      text: "echo: Hello!",
      model: "claude-3-haiku-20240307",
      finishReason: "end_turn",
    });
    const [request] = server.requests;
    expect(request?.body).toMatchObject({ model: "claude-3-haiku-20240307", max_tokens: 1024 });
    expect(request?.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Read off the wire: exactly one auth header carries the key, Bearer in 1.x, x-api-key before.
    const bearer = request?.headers.authorization === `Bearer ${keys.anthropic}`;
    const header = request?.headers["x-api-key"] === keys.anthropic;
    expect(bearer !== header).toBe(true);
    expect(bearer).toBe(anthropicMajor >= 1);
    expect(sentKey(request!)).toBe(keys.anthropic);
    expect(JSON.stringify(request?.headers)).not.toContain("host-token-that-must-not-be-sent");
  });

  it("listModels and testConnection (GET /v1/models)", async () => {
    await using anthropic = await connect("anthropic");
    expect((await anthropic.listModels())[0]).toEqual({
      id: "claude-3-haiku-20240307",
      displayName: "CLAUDE-3-HAIKU-20240307",
    });
    expect(await anthropic.testConnection()).toMatchObject({
      success: true,
      details: { models: ["claude-3-haiku-20240307", "claude-3-5-haiku-latest"] },
    });
    expect(servers.anthropic.requests.at(-1)?.path).toBe("/v1/models");
  });
});

describe("gemini", () => {
  it("generateText and listModels send x-goog-api-key", async () => {
    const server = servers.gemini;
    server.requests.length = 0;
    await using gemini = await getConnector(
      "gemini",
      { apiKey: keys.gemini, model: "gemini-2.5-pro" },
      { baseURL: server.url, maxRetries: 0 },
    );
    const result = await gemini.generateText("Hello!");
    expect(result).toMatchObject({
      text: "echo: Hello!",
      model: "gemini-2.5-pro",
      finishReason: "STOP",
      usage: { inputTokens: 6 },
    });
    expect(server.requests[0]?.path).toMatch(/^\/v1(beta)?\/models\/gemini-2.5-pro:generateContent$/);
    expect(server.requests[0]?.headers["x-goog-api-key"]).toBe(keys.gemini);
    expect(server.requests[0]?.query.get("key")).toBeNull();
    expect((await gemini.listModels()).map((model) => model.id)).toEqual(GEMINI_MODELS);
    expect((await gemini.testConnection()).details.models).toEqual(GEMINI_MODELS);
  });

  it("a bad key (400 API_KEY_INVALID, as the real API answers) is invalid or expired", async () => {
    await using gemini = await connect("gemini", { apiKey: wrong.gemini });
    expect(await gemini.testConnection()).toMatchObject({
      success: false,
      code: "unauthorized",
      error: "Gemini API key is invalid or expired",
    });
    const error = await rejection(gemini.generateText("hi"));
    expect(error.name).toBe("AuthError");
    assertNoLeak(error, wrong.gemini);
  });
});

describe("firecrawl", () => {
  it("scrapeUrl, crawl and search send Authorization: Bearer; testConnection reads credit usage", async () => {
    const server = servers.firecrawl;
    server.requests.length = 0;
    await using firecrawl = await connect("firecrawl");
    const page = await firecrawl.scrapeUrl("https://example.com", { formats: ["markdown"] });
    expect(page.markdown).toBe("# Page https://example.com");
    expect(page.metadata).toMatchObject({ sourceURL: "https://example.com" });
    expect(page).not.toHaveProperty("success");
    const scrape = server.requests[0];
    expect(scrape?.path).toMatch(/^\/v[12]\/scrape$/);
    expect(scrape?.headers.authorization).toBe(`Bearer ${keys.firecrawl}`);
    expect(scrape?.body).toMatchObject({ url: "https://example.com", formats: ["markdown"] });

    const crawl = await firecrawl.crawl("https://example.com", { limit: 2, pollInterval: 0 });
    expect(crawl.status).toBe("completed");
    expect(crawl.documents.map((doc) => doc.markdown)).toEqual([
      "# Page https://example.com",
      "# Page https://example.com/about",
    ]);
    expect(await firecrawl.search("credkit", { limit: 1 })).toEqual([
      { url: "https://example.com/a", title: "Result for credkit", description: "A result" },
    ]);

    const result = await firecrawl.testConnection();
    expect(result).toMatchObject({ success: true, details: { remainingCredits: 4200 } });
    expect(server.requests.at(-1)?.path).toMatch(/^\/v[12]\/team\/credit-usage$/);
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keys.firecrawl}`);
  });

  it("timeout is enforced on single requests", async () => {
    servers.firecrawl.fail({ hang: true });
    await using firecrawl = await connect("firecrawl", { timeout: 200 });
    const error = await rejection(firecrawl.scrapeUrl("https://example.com"));
    expect(error.name).toBe("UnavailableError");
    expect(error.message).toContain("Unable to connect to Firecrawl");
  });
});

describe.each(["anthropic", "gemini", "firecrawl"] as const)(
  "%s: failures map to the documented messages",
  (id) => {
    const provider = names[id];
    it.each([
      [401, "unauthorized", `${provider} API key is invalid or expired`],
      [403, "forbidden", "Service account lacks required permissions"],
      [429, "rate_limited", `${provider} rate limit exceeded during validation`],
      [500, "unreachable", `Unable to connect to ${provider}`],
    ])("HTTP %i → %s, with the key echoed in the body never leaking", async (status, code, message) => {
      servers[id].fail(errorShapes[id](status, keys[id]), 1);
      await using connector = await connect(id);
      const result = await connector.testConnection();
      expect(result).toMatchObject({ success: false, status: "error", code, error: message });
      assertNoLeak(result, keys[id]);
      servers[id].fail(errorShapes[id](status, keys[id]), 1);
      const error = await rejection(
        id === "firecrawl"
          ? (
              connector as Awaited<ReturnType<typeof connect>> & { scrapeUrl(u: string): Promise<unknown> }
            ).scrapeUrl("https://example.com")
          : (connector as unknown as { generateText(p: string): Promise<unknown> }).generateText("hi"),
      );
      expect(error.name).toBe(
        { 401: "AuthError", 403: "AuthError", 429: "ThrottledError", 500: "UnavailableError" }[status],
      );
      assertNoLeak(error, keys[id]);
    });

    it("a refused connection → Unable to connect; a malformed key → format error with no request", async () => {
      await using down = await connect(id, { baseURL: refused });
      expect(await down.testConnection()).toMatchObject({
        success: false,
        code: "unreachable",
        error: `Unable to connect to ${provider}`,
      });
      const before = servers[id].requests.length;
      await using malformed = await connect(id, { apiKey: "pasted wrong thing" });
      expect(await malformed.testConnection()).toMatchObject({
        code: "invalid_format",
        error: `Invalid API key format for ${provider}`,
      });
      expect(servers[id].requests.length).toBe(before);
    });

    it("a request that outlives the timeout → Unable to connect", async () => {
      servers[id].fail({ hang: true }, 1);
      await using slow = await connect(id, { timeout: 200 });
      expect(await slow.testConnection()).toMatchObject({
        success: false,
        status: "error",
        code: "unreachable",
        error: `Unable to connect to ${provider}`,
      });
    });

    it("a wrong key is rejected, and the server echoing it back never leaks it", async () => {
      await using connector = await connect(id, { apiKey: wrong[id] });
      const result = await connector.testConnection();
      expect(result.error).toBe(`${provider} API key is invalid or expired`);
      assertNoLeak(result, wrong[id]);
    });
  },
);
