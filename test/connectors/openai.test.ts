import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getConnector, withConnector } from "../../src/connectors/registry.js";
import { Secret } from "../../src/core/secret.js";
import { type LoopbackServer, refusedUrl } from "../servers/providers/base.js";
import { OPENAI_MODELS, openaiError, startOpenAIServer } from "../servers/providers/openai.js";
import { assertNoLeak } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { providerKey, rejection, SDK_ENV } from "./support.js";

const key = providerKey("sk-");
const wrongKey = providerKey("sk-");
let server: LoopbackServer;
let echo: LoopbackServer;
guardOutput(() => [key, wrongKey]);

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  vi.stubEnv("OPENAI_API_KEY", providerKey("sk-")); // a host key that must never be used
  server = await startOpenAIServer({ apiKey: key });
  echo = await startOpenAIServer({ apiKey: key, echoKey: true });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([server.close(), echo.close()]);
});

const open = (
  options: { baseURL?: string; apiKey?: string | Secret; timeout?: number; maxRetries?: number } = {},
) =>
  getConnector(
    "openai",
    { api_key: options.apiKey ?? new Secret(key), model: "gpt-4o" },
    {
      baseURL: options.baseURL ?? `${server.url}/v1`,
      maxRetries: options.maxRetries ?? 0,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    },
  );

describe("openai connector over the official SDK", () => {
  it("generateText sends the key as Authorization: Bearer, read off the wire", async () => {
    server.requests.length = 0;
    await using openai = await open();
    const result = await openai.generateText("Hello!", { system: "Be brief", maxTokens: 20 });
    expect(result.text).toBe("echo: Hello!");
    expect(result.model).toBe("gpt-4o");
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toEqual({ inputTokens: 6, outputTokens: 12 });
    const [request] = server.requests;
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe(`Bearer ${key}`);
    expect(request?.headers["x-api-key"]).toBeUndefined();
    expect(request?.body).toMatchObject({
      model: "gpt-4o",
      max_completion_tokens: 20,
      messages: [
        { role: "system", content: "Be brief" },
        { role: "user", content: "Hello!" },
      ],
    });
    assertNoLeak(result, key);
  });

  it("createEmbeddings returns vectors in input order; listModels lists ids", async () => {
    await using openai = await open();
    const embeddings = await openai.createEmbeddings(["text1", "text22"]);
    expect(embeddings.embeddings.map((vector) => vector[0])).toEqual([5, 6]);
    expect(embeddings.embeddings[1]?.[1]).toBe(1);
    expect(embeddings.model).toBe("text-embedding-3-small");
    expect((await openai.listModels()).map((model) => model.id)).toEqual(OPENAI_MODELS);
  });

  it("testConnection lists models and reports latency", async () => {
    server.requests.length = 0;
    await using openai = await open();
    const result = await openai.testConnection();
    expect(result).toMatchObject({ success: true, status: "active", details: { models: OPENAI_MODELS } });
    expect(result.details.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["GET /v1/models"]);
  });

  it("a malformed key fails the format check without any network call", async () => {
    server.requests.length = 0;
    await using openai = await open({ apiKey: "not-a-key-at-all-000000000000" });
    const result = await openai.testConnection();
    expect(result).toMatchObject({
      success: false,
      status: "error",
      code: "invalid_format",
      error: "Invalid API key format for OpenAI",
    });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [401, "unauthorized", "OpenAI API key is invalid or expired"],
    [403, "forbidden", "Service account lacks required permissions"],
    [429, "rate_limited", "OpenAI rate limit exceeded during validation"],
    [500, "unreachable", "Unable to connect to OpenAI"],
    [503, "unreachable", "Unable to connect to OpenAI"],
  ])(
    "HTTP %i maps to %s with the documented message, key echoed in the body never leaks",
    async (status, code, message) => {
      echo.fail(openaiError(status, key));
      await using openai = await open({ baseURL: `${echo.url}/v1` });
      const result = await openai.testConnection();
      expect(result).toMatchObject({
        success: false,
        status: "error",
        code,
        error: message,
        details: { httpStatus: status },
      });
      assertNoLeak(result, key);
    },
  );

  it("a wrong key is rejected by the server: invalid or expired, and the echoed key is scrubbed", async () => {
    await using openai = await open({ baseURL: `${echo.url}/v1`, apiKey: wrongKey });
    expect((await openai.testConnection()).error).toBe("OpenAI API key is invalid or expired");
    const error = await rejection(openai.generateText("hi"));
    expect(error.name).toBe("AuthError");
    expect(error.message).toContain("OpenAI API key is invalid or expired (HTTP 401)");
    expect(String((error.cause as Error).message)).toContain("[REDACTED]");
    assertNoLeak(error, wrongKey);
  });

  it("refused connection and timeout map to Unable to connect", async () => {
    await using refused = await open({ baseURL: `${await refusedUrl()}/v1` });
    expect(await refused.testConnection()).toMatchObject({
      success: false,
      code: "unreachable",
      error: "Unable to connect to OpenAI",
    });
    const down = await rejection(refused.generateText("hi"));
    expect(down.name).toBe("UnavailableError");

    server.fail({ hang: true }, 2);
    await using slow = await open({ timeout: 200 });
    expect(await slow.testConnection()).toMatchObject({
      success: false,
      code: "unreachable",
      error: "Unable to connect to OpenAI",
    });
    const timedOut = await rejection(slow.generateText("hi"));
    expect(timedOut.message).toContain("Unable to connect to OpenAI (timed out)");
  });

  it("operation errors are typed: 429 throttled, 404 not found, 400 validation", async () => {
    await using openai = await open({ baseURL: `${echo.url}/v1` });
    echo.fail(openaiError(429, key));
    expect((await rejection(openai.generateText("hi"))).name).toBe("ThrottledError");
    echo.fail(openaiError(404, key));
    expect((await rejection(openai.generateText("hi", { model: "nope" }))).name).toBe("NotFoundError");
    echo.fail({
      status: 400,
      body: { error: { message: `bad request ${key}`, type: "invalid_request_error" } },
    });
    const invalid = await rejection(openai.createEmbeddings("x"));
    expect(invalid.name).toBe("ValidationError");
    assertNoLeak(invalid, key);
  });

  it("maxRetries and fetch pass through to the SDK", async () => {
    server.requests.length = 0;
    // The SDK honours the server's retry-after-ms (instead of its ~0.5 s backoff).
    server.fail({ ...openaiError(503), headers: { "retry-after-ms": "10" } }, 2);
    const calls: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      calls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    await using openai = await getConnector(
      "openai",
      { apiKey: key },
      { baseURL: `${server.url}/v1`, maxRetries: 2, fetch: countingFetch },
    );
    const result = await openai.generateText("retry me");
    expect(result.text).toBe("echo: retry me");
    expect(server.requests).toHaveLength(3);
    expect(calls).toHaveLength(3);
  });

  it("never falls back to the host's OPENAI_API_KEY: a missing key is a validation error", async () => {
    const error = await rejection(
      getConnector("openai", { model: "gpt-4o" }, { baseURL: `${server.url}/v1` }),
    );
    expect(error.name).toBe("ValidationError");
    expect(error.message).toContain('Missing credential field "apiKey" for OpenAI');
  });

  it("withConnector cleans up on return and on throw; a cleaned-up connector refuses calls", async () => {
    let kept: Awaited<ReturnType<typeof open>> | undefined;
    const value = await withConnector(
      "openai",
      { apiKey: key },
      async (openai) => {
        kept = openai;
        return (await openai.listModels()).length;
      },
      { baseURL: `${server.url}/v1` },
    );
    expect(value).toBe(OPENAI_MODELS.length);
    expect(kept?.closed).toBe(true);
    expect((await rejection(kept!.generateText("hi"))).name).toBe("UnsupportedError");

    const thrown = await rejection(
      withConnector(
        "openai",
        { apiKey: key },
        async (openai) => {
          kept = openai;
          throw new Error("boom");
        },
        { baseURL: `${server.url}/v1` },
      ),
    );
    expect(thrown.message).toBe("boom");
    expect(kept?.closed).toBe(true);
  });

  it("await using cleans up at scope exit and cleanup aborts requests in flight", async () => {
    let outer: Awaited<ReturnType<typeof open>> | undefined;
    {
      await using openai = await open();
      outer = openai;
      expect(openai.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);

    server.fail({ hang: true });
    const openai = await open({ timeout: 20_000 });
    const pending = openai.generateText("hang");
    await vi.waitFor(() =>
      expect(server.requests.at(-1)?.body).toMatchObject({ messages: [{ content: "hang" }] }),
    );
    await openai.cleanup();
    const aborted = await rejection(pending);
    expect(aborted.name).toBe("UnsupportedError");
    expect(aborted.message).toContain("cleaned up");
    // the SDK saw its request aborted (not timed out): the call's signal was aborted by cleanup
    expect((aborted.cause as Error | undefined)?.message).toBe("Request was aborted.");
  });

  it("call() guards raw SDK calls; scrub() cleans errors of direct client calls", async () => {
    await using openai = await open({ baseURL: `${echo.url}/v1`, apiKey: wrongKey });
    const guarded = await rejection(openai.call((client, signal) => client.models.list({ signal })));
    expect(guarded.name).toBe("AuthError");
    assertNoLeak(guarded, wrongKey);
    const raw = await rejection(openai.client.models.retrieve("gpt-4o") as unknown as Promise<unknown>);
    expect(String(raw.message)).toContain(wrongKey);
    assertNoLeak(openai.scrub(raw), wrongKey);
    const innocent = new Error("nothing secret");
    expect(openai.scrub(innocent)).toBe(innocent);
  });
});
