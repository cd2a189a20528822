/** The generic http connector, the catalog and the typed registry. */

import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { BUILTIN_SPECS } from "../../src/connectors/catalog.js";
import { type DefinedConnector, defineConnector } from "../../src/connectors/define.js";
import type { HttpConnector, HttpConnectorOptions } from "../../src/connectors/http/index.js";
import type { OpenAIConnector } from "../../src/connectors/openai/index.js";
import {
  connectorCatalog,
  connectorIds,
  createConnectorRegistry,
  getConnector,
  registerConnector,
} from "../../src/connectors/registry.js";
import { type LoopbackServer, presented, startLoopback } from "../servers/providers/base.js";
import { assertNoLeak } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { rejection } from "./support.js";

const token = "tok-canary-7c1f0e9d8b6a5c4e3f2a1b0c";
guardOutput(() => [token]);
let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopback(
    (request) => {
      const sent = [
        presented(request, "authorization"),
        presented(request, "x-custom-key"),
        request.query.get("api_key"),
      ];
      const basic = Buffer.from(`alice:${token}`).toString("base64");
      const ok = sent.includes(token) || request.headers.authorization === `Basic ${basic}`;
      return ok ? undefined : { status: 401, body: { error: `bad credential ${sent}` } };
    },
    (request) => {
      if (request.path === "/broken-json") {
        return { status: 200, body: `{"echo": "${token}"`, headers: { "content-type": "application/json" } };
      }
      return request.path === "/items"
        ? {
            status: 200,
            body: { method: request.method, body: request.body ?? null, q: request.query.get("q") },
          }
        : undefined;
    },
  );
});
afterAll(() => server.close());

describe("http connector", () => {
  it.each([
    [
      "bearer",
      { token },
      {},
      (h: Record<string, unknown>) => expect(h.authorization).toBe(`Bearer ${token}`),
    ],
    [
      "basic",
      { username: "alice", password: token },
      {},
      (h: Record<string, unknown>) => expect(h.authorization).toMatch(/^Basic /),
    ],
    [
      "header",
      { apiKey: token },
      { auth: { type: "header", name: "X-Custom-Key" } as const },
      (h: Record<string, unknown>) => expect(h["x-custom-key"]).toBe(token),
    ],
  ])("applies %s credentials to every request", async (_kind, credentials, extra, check) => {
    server.requests.length = 0;
    await using http = await getConnector("http", credentials, {
      baseURL: server.url,
      ...(extra as HttpConnectorOptions),
    });
    const response = await http.post<{ method: string; body: unknown }>(
      "/items",
      { a: 1 },
      { headers: { Authorization: "Bearer attacker" } },
    );
    expect(response.data).toEqual({ method: "POST", body: { a: 1 }, q: null });
    check(server.requests[0]!.headers as Record<string, unknown>);
  });

  it("applies a query credential and query parameters", async () => {
    server.requests.length = 0;
    await using http = await getConnector(
      "http",
      { apiKey: token },
      { baseURL: server.url, auth: { type: "query" } },
    );
    const response = await http.get<{ q: string }>("/items", { query: { q: "x y" } });
    expect(response.data.q).toBe("x y");
    expect(server.requests[0]?.query.get("api_key")).toBe(token);
  });

  it("maps statuses to typed errors, retries idempotent 5xx, and never leaks the credential", async () => {
    await using http = await getConnector("http", { token }, { baseURL: server.url, maxRetries: 1 });
    server.requests.length = 0;
    server.fail({ status: 503, body: `down ${token}` }, 1);
    expect((await http.get("/items")).status).toBe(200);
    expect(server.requests).toHaveLength(2);
    server.fail({ status: 503 }, 1);
    expect((await rejection(http.post("/items", {}))).name).toBe("UnavailableError");
    const missing = await rejection(http.get("/nothing"));
    expect(missing.name).toBe("NotFoundError");
    server.requests.length = 0;
    const broken = await rejection(http.get("/broken-json"));
    expect(broken.name).toBe("UnavailableError");
    expect((broken.cause as Error).message).toBe(
      "GET /broken-json answered HTTP 200 with a body that is not valid JSON.",
    );
    expect(server.requests).toHaveLength(1); // a 2xx answer is final: not retried
    assertNoLeak(broken, token);
    await using wrong = await getConnector("http", { token: "wrong-token-value" }, { baseURL: server.url });
    const denied = await rejection(wrong.get("/items"));
    expect(denied.name).toBe("AuthError");
    expect(await wrong.testConnection()).toMatchObject({
      success: false,
      error: "HTTP API key is invalid or expired",
    });
    assertNoLeak(denied, "wrong-token-value");
  });

  it("testConnection calls testPath; a missing base URL or credential is a validation error", async () => {
    await using http = await getConnector("http", { token }, { baseURL: server.url, testPath: "/items" });
    expect(await http.testConnection()).toMatchObject({ success: true, status: "active" });
    expect((await rejection(getConnector("http", { token }))).name).toBe("ValidationError");
    expect(
      (await rejection(getConnector("http", { username: "a" }, { baseURL: server.url }))).message,
    ).toContain("apiKey");
  });
});

describe("catalog and registry", () => {
  it("each built-in spec declares fields, key format, SDK, verification and docs", () => {
    expect(connectorIds()).toEqual(
      expect.arrayContaining(["anthropic", "firecrawl", "gemini", "http", "openai"]),
    );
    const openai = BUILTIN_SPECS.openai;
    expect(openai.category).toBe("ai_ml");
    expect(BUILTIN_SPECS.firecrawl.category).toBe("data_extraction");
    const pattern = (id: "openai" | "anthropic" | "firecrawl") =>
      new RegExp(BUILTIN_SPECS[id].fields[0].pattern as string);
    expect(pattern("openai").test("sk-proj-abcdefghijklmnopqrstuvwxyz")).toBe(true);
    expect(pattern("anthropic").test("sk-abcdefghijklmnopqrstuvwxyz")).toBe(false);
    expect(pattern("anthropic").test("sk-ant-api03-abcdefghijklmnopqrstuvwxyz")).toBe(true);
    expect(pattern("firecrawl").test("fc-0123456789abcdef0123")).toBe(true);
    for (const spec of connectorCatalog()) {
      expect(spec.docsUrl).toMatch(/^https:\/\//);
      expect(spec.fields.some((field) => field.secret)).toBe(true);
    }
    expect(openai.sdk.package).toBe("openai");
    expect(openai.verification.path).toBe("/models");
  });

  it("an unknown id lists the available ids", async () => {
    const error = await rejection(getConnector("nope" as "openai", {}));
    expect(error.name).toBe("UnknownConnectorError");
    const ids = Object.keys(BUILTIN_SPECS).sort();
    expect(ids).toEqual(expect.arrayContaining(["anthropic", "firecrawl", "gemini", "http", "openai"]));
    expect(error.message).toContain(`Available connectors: ${ids.join(", ")}`);
  });

  it("getConnector infers the connector type from the id", () => {
    expectTypeOf<Awaited<ReturnType<typeof getConnector<"openai">>>>().toEqualTypeOf<OpenAIConnector>();
    expectTypeOf<Awaited<ReturnType<typeof getConnector<"http">>>>().toEqualTypeOf<HttpConnector>();
  });

  it("users register their own connectors with full typing", async () => {
    const closed: string[] = [];
    const weather = defineConnector({
      spec: {
        id: "weather",
        displayName: "Weather",
        category: "data",
        description: "Forecasts",
        fields: [{ name: "apiKey", label: "API key", secret: true, required: true, pattern: "^wx-" }],
        docsUrl: "https://example.com/keys",
      },
      async setup(context) {
        const apiKey = context.secret("apiKey");
        return {
          client: { region: "eu" },
          methods: {
            async forecast(city: string): Promise<{ city: string; keyLength: number }> {
              if (city === "fail") throw new Error(`upstream refused ${apiKey.reveal()}`);
              return { city, keyLength: apiKey.length };
            },
          },
          async verify() {
            return { models: ["v1"] };
          },
          close: () => void closed.push("weather"),
        };
      },
    });
    const registry = createConnectorRegistry({ builtins: false }).register(weather);
    await using connector = await registry.get("weather", { api_key: "wx-secret-value-123456" });
    expectTypeOf(connector).toEqualTypeOf<
      DefinedConnector<
        { region: string },
        { forecast(city: string): Promise<{ city: string; keyLength: number }> }
      >
    >();
    expect(await connector.forecast("Oslo")).toEqual({ city: "Oslo", keyLength: 22 });
    expect(connector.client.region).toBe("eu");
    expect(await connector.testConnection()).toMatchObject({ success: true, details: { models: ["v1"] } });
    const error = await rejection(connector.forecast("fail"));
    assertNoLeak(error, "wx-secret-value-123456");
    await connector.cleanup();
    expect(closed).toEqual(["weather"]);
    expect(registry.ids()).toEqual(["weather"]);

    registerConnector(weather);
    expect(connectorIds()).toContain("weather");
    await using viaDefault = await getConnector("weather", { apiKey: "bad-format-key-123456" });
    expect(await viaDefault.testConnection()).toMatchObject({
      success: false,
      error: "Invalid API key format for Weather",
    });
  });
});
