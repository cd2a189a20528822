/**
 * The router over real HTTP — behind the node adapter on 127.0.0.1 and through Hono's
 * `app.fetch` — driven with `fetch` and the typed client: every endpoint, every error status,
 * tenant isolation, and no key in any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { CredkitApiError, createClient } from "../../src/http/client.js";
import { createRouter } from "../../src/http/index.js";
import { providerKey, rejection } from "../connectors/support.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import { as, openAIStandIn, type Served, serveHono, serveNode, testAuthenticate } from "./support.js";

const key = providerKey("sk-");
const wrongKey = providerKey("sk-");
const rotated = providerKey("sk-");
const PREFIX = "/credkit";
const provider = openAIStandIn(key, [key, wrongKey, rotated], { echoKey: true });

function makeRouter(options: { backend?: ReturnType<typeof memoryBackend>; csrf?: boolean } = {}) {
  const credentials = new CredentialManager({
    backend: options.backend ?? memoryBackend({ env: {} }),
    encryption: keyring(),
    cache: false,
  });
  return createRouter({
    credentials,
    connections: memoryConnectionStore(),
    authenticate: testAuthenticate,
    prefix: PREFIX,
    connectorOptions: { baseURL: `${provider().url}/v1`, maxRetries: 0 },
    ...(options.csrf ? { csrf: (request: Request) => request.headers.get("x-csrf") === "ok" } : {}),
  });
}

async function problemOf(promise: Promise<unknown>): Promise<CredkitApiError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(CredkitApiError);
  return error as CredkitApiError;
}

describe.each([
  ["node:http adapter", serveNode],
  ["Hono app.fetch", serveHono],
] as const)("router via %s", (_name, serve) => {
  let served: Served;
  const tenant = uniqueId("org");
  const other = uniqueId("org");
  const client = (tenantId = tenant) =>
    createClient({ baseUrl: served.base, fetch: served.fetch, headers: as(tenantId) });
  const raw = (path: string, init: RequestInit = {}, tenantId: string | null = tenant) =>
    served.fetch(`${served.base}${path}`, {
      ...init,
      headers: { ...(tenantId ? as(tenantId) : {}), ...(init.headers as Record<string, string>) },
    });

  beforeAll(async () => {
    served = await serve(makeRouter(), PREFIX);
  });
  afterAll(() => served.close());

  it("credentials: create, list, get, replace, update, test, delete, restore — values go in, never out", async () => {
    const api = client();
    const created = await api.credentials.create({ id: "openai-main", values: { apiKey: key } });
    expect(created).toMatchObject({
      id: "openai-main",
      version: 1,
      fields: ["apiKey"],
      createdBy: `user-of-${tenant}`,
    });
    const response = await raw("/credentials/openai-main");
    expect(response.headers.get("etag")).toBe('"v1"');
    expect((await api.credentials.list()).credentials.map((item) => item.id)).toEqual(["openai-main"]);
    const replaced = await api.credentials.replace(
      "openai-main",
      { values: { apiKey: rotated } },
      { ifVersion: 1 },
    );
    expect(replaced.version).toBe(2);
    expect(replaced.fingerprints.apiKey).not.toBe(created.fingerprints.apiKey);
    const updated = await api.credentials.update(
      "openai-main",
      { values: { apiKey: key } },
      { ifVersion: 2 },
    );
    expect(updated.version).toBe(3);
    expect(await api.credentials.test("openai-main", "openai")).toMatchObject({
      success: true,
      status: "active",
    });
    await api.credentials.delete("openai-main");
    expect((await problemOf(api.credentials.get("openai-main"))).status).toBe(404);
    expect((await api.credentials.restore("openai-main")).version).toBe(3);
    expect((await api.credentials.get("openai-main")).status).toBe("active");
  });

  it("credentials: a stale If-Match gets 412 and changes nothing; a duplicate create gets 409", async () => {
    const api = client();
    await api.credentials.create({ id: "cas", values: { token: rotated } });
    await api.credentials.replace("cas", { values: { token: key } });
    const stale = await problemOf(
      api.credentials.replace("cas", { values: { token: wrongKey } }, { ifVersion: 1 }),
    );
    expect([stale.status, stale.code]).toEqual([412, "precondition_failed"]);
    expect((await api.credentials.get("cas")).version).toBe(2);
    const duplicate = await problemOf(api.credentials.create({ id: "cas", values: { token: key } }));
    expect([duplicate.status, duplicate.code]).toEqual([409, "conflict"]);
    const malformed = await raw("/credentials/cas", {
      method: "PUT",
      headers: { "content-type": "application/json", "if-match": '"i2"' },
      body: JSON.stringify({ values: { token: key } }),
    });
    expect(malformed.status).toBe(412);
  });

  it("integrations: setup, list with status, get, validate, masked credentials, update, rotate, disable, enable, delete", async () => {
    const api = client();
    const created = await api.integrations.create({
      id: "assistant",
      connector: "openai",
      name: "My AI Assistant",
      configuration: { model: "gpt-4o-mini" },
      credentials: { api_key: key },
    });
    expect(created).toMatchObject({
      id: "assistant",
      status: "pending",
      configuration: { model: "gpt-4o-mini" },
    });
    expect(JSON.stringify(created.configuration)).not.toContain("api_key");
    expect((await api.integrations.list()).integrations.map((item) => [item.id, item.status])).toEqual([
      ["assistant", "pending"],
    ]);
    expect(await api.integrations.test("assistant")).toMatchObject({ success: true, status: "active" });
    const tested = await api.integrations.get("assistant");
    expect(tested.status).toBe("active");
    expect(tested.validatedAt).toBeDefined();
    const masked = (await api.integrations.credentials("assistant")).credentials;
    expect(masked.api_key).toMatch(/^\*\*\*/);
    expect(masked.model).toBe("gpt-4o-mini");
    const renamed = await api.integrations.update(
      "assistant",
      { name: "Renamed", configuration: { model: "gpt-4o" } },
      { ifRevision: tested.revision },
    );
    expect([renamed.name, renamed.configuration.model]).toEqual(["Renamed", "gpt-4o"]);
    const stale = await problemOf(
      api.integrations.update("assistant", { name: "Lost" }, { ifRevision: tested.revision }),
    );
    expect(stale.status).toBe(412);
    expect((await api.integrations.get("assistant")).name).toBe("Renamed");
    const afterRotate = await api.integrations.rotate("assistant", { credentials: { api_key: wrongKey } });
    expect(afterRotate.status).toBe("pending");
    const failed = await api.integrations.test("assistant");
    expect(failed).toMatchObject({
      success: false,
      status: "error",
      error: "OpenAI API key is invalid or expired",
    });
    expect((await api.integrations.get("assistant")).errorMessage).toBe(
      "OpenAI API key is invalid or expired",
    );
    expect((await api.integrations.disable("assistant")).status).toBe("disabled");
    expect((await problemOf(api.integrations.test("assistant"))).status).toBe(400);
    expect((await api.integrations.enable("assistant")).status).toBe("pending");
    await api.integrations.delete("assistant");
    expect((await problemOf(api.integrations.get("assistant"))).status).toBe(404);
  });

  it("integrations: the documented messages for a malformed key and a duplicate", async () => {
    const api = client();
    const malformed = await problemOf(
      api.integrations.create({ connector: "openai", name: "x", credentials: { api_key: "not-a-key" } }),
    );
    expect([malformed.status, malformed.message, malformed.field]).toEqual([
      400,
      "Invalid API key format for OpenAI",
      "api_key",
    ]);
    await api.integrations.create({
      id: "dup",
      connector: "openai",
      name: "x",
      credentials: { api_key: key },
    });
    const duplicate = await problemOf(
      api.integrations.create({ id: "dup", connector: "openai", name: "x", credentials: { api_key: key } }),
    );
    expect([duplicate.status, duplicate.message]).toEqual([409, "Integration already exists for OpenAI"]);
  });

  it("the connector catalog lists display name, category, credential type, required fields and key format", async () => {
    const api = client();
    const { connectors } = await api.connectors.list();
    expect(connectors.map((item) => item.id)).toEqual(
      expect.arrayContaining(["openai", "anthropic", "firecrawl", "gemini", "http"]),
    );
    expect(await api.connectors.get("openai")).toMatchObject({
      displayName: "OpenAI",
      category: "ai_ml",
      credentialType: "api_key",
      requiredFields: ["apiKey"],
      keyFormat: expect.stringContaining("sk-"),
    });
    expect((await problemOf(api.connectors.get("nope"))).status).toBe(404);
  });

  it("another tenant's credential or integration is 404, never 403, on every route", async () => {
    await client().credentials.create({ id: "mine", values: { apiKey: key } });
    await client().integrations.create({
      id: "mine",
      connector: "openai",
      name: "x",
      credentials: { api_key: key },
    });
    const intruder = client(other);
    for (const attempt of [
      () => intruder.credentials.get("mine"),
      () => intruder.credentials.replace("mine", { values: { apiKey: wrongKey } }),
      () => intruder.credentials.delete("mine"),
      () => intruder.credentials.test("mine", "openai"),
      () => intruder.integrations.get("mine"),
      () => intruder.integrations.update("mine", { name: "taken" }),
      () => intruder.integrations.test("mine"),
      () => intruder.integrations.credentials("mine"),
      () => intruder.integrations.rotate("mine", { credentials: { api_key: wrongKey } }),
      () => intruder.integrations.disable("mine"),
      () => intruder.integrations.delete("mine"),
    ]) {
      expect((await problemOf(attempt())).status).toBe(404);
    }
    const seed002 = await raw(`/api/v1/integrations/${tenant}/mine`, {}, other);
    expect(seed002.status).toBe(404);
    expect((await client().integrations.get("mine")).name).toBe("x");
    expect((await client().credentials.get("mine")).version).toBe(1);
  });

  it("aliases at the alias paths reach the same operations", async () => {
    const json = (method: string, body: unknown) => ({
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    // credentials by id
    expect((await raw("/api/credentials", json("POST", { id: "s1", values: { apiKey: key } }))).status).toBe(
      201,
    );
    expect(
      ((await (await raw("/api/credentials")).json()) as { credentials: unknown[] }).credentials.length,
    ).toBeGreaterThan(0);
    expect((await raw("/api/credentials/s1", json("PUT", { values: { apiKey: key } }))).status).toBe(200);
    expect(
      (
        (await (await raw("/api/credentials/s1/test", json("POST", { connector: "openai" }))).json()) as {
          success: boolean;
        }
      ).success,
    ).toBe(true);
    expect((await raw("/api/credentials/s1", { method: "DELETE" })).status).toBe(204);
    // one integration per provider, behind {org}
    const org = `/api/v1/integrations/${tenant}`;
    expect((await raw(`${org}/anthropic/setup`, json("POST", { credentials: "sk-ant-short" }))).status).toBe(
      400,
    );
    const setup = await raw(
      `${org}/openai/setup`,
      json("POST", { credentials: key, config: { model: "gpt-4o" } }),
    );
    expect(setup.status).toBe(201);
    expect((await raw(`${org}/openai/setup`, json("POST", { credentials: key }))).status).toBe(409);
    expect(
      ((await (await raw(`${org}/openai/validate`, { method: "POST" })).json()) as { status: string }).status,
    ).toBe("active");
    expect(((await (await raw(`${org}/openai`)).json()) as { status: string }).status).toBe("active");
    expect(
      ((await (await raw(org)).json()) as { integrations: Array<{ id: string }> }).integrations.map(
        (item) => item.id,
      ),
    ).toContain("openai");
    expect(
      (
        (await (await raw(`${org}/openai`, json("PUT", { config: { model: "gpt-4o-mini" } }))).json()) as {
          configuration: { model: string };
        }
      ).configuration.model,
    ).toBe("gpt-4o-mini");
    expect((await raw(`${org}/openai/rotate`, json("POST", { new_credentials: rotated }))).status).toBe(200);
    expect((await raw(`${org}/openai`, { method: "DELETE" })).status).toBe(204);
    // integrations by id
    expect(
      (
        await raw(
          "/api/integrations",
          json("POST", { id: "s3", connector: "openai", name: "x", credentials: { api_key: key } }),
        )
      ).status,
    ).toBe(201);
    expect((await raw("/api/integrations/s3", json("PUT", { name: "y" }))).status).toBe(200);
    expect(
      ((await (await raw("/api/integrations/s3/test", { method: "POST" })).json()) as { success: boolean })
        .success,
    ).toBe(true);
    expect(((await (await raw("/api/integrations/s3")).json()) as { name: string }).name).toBe("y");
    // a connector's test and credentials
    expect(
      (
        (await (await raw("/features/connectors/s3/test-connection", { method: "POST" })).json()) as {
          success: boolean;
        }
      ).success,
    ).toBe(true);
    expect(
      (
        (await (await raw("/features/connectors/s3/credentials")).json()) as {
          credentials: { api_key: string };
        }
      ).credentials.api_key,
    ).toMatch(/^\*\*\*/);
    expect((await raw("/api/integrations/s3", { method: "DELETE" })).status).toBe(204);
    expect((await raw("/api/integrations")).status).toBe(200);
  });

  it("HTTP errors: 401 with a challenge, 403, 404, 405 with Allow, 413, 415, 400 naming fields without values", async () => {
    const anonymous = await raw("/credentials", {}, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBeTruthy();
    expect(anonymous.headers.get("content-type")).toBe("application/problem+json");
    expect(((await anonymous.json()) as { code: string }).code).toBe("unauthorized");
    expect((await raw("/credentials", {}, "forbidden")).status).toBe(403);
    const unknown = await raw("/nothing/here");
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([
      404,
      "route_not_found",
    ]);
    const wrongMethod = await raw("/connectors", { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect((await raw("/integrations/x", { method: "PUT" })).headers.get("allow")).toBe("GET, PATCH, DELETE");
    const big = await raw("/credentials", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "big", values: { apiKey: "x".repeat(70_000) } }),
    });
    expect(big.status).toBe(413);
    const text = await raw("/credentials", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "id=x",
    });
    expect([text.status, ((await text.json()) as { code: string }).code]).toEqual([
      415,
      "unsupported_media_type",
    ]);
    const badField = await raw("/integrations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ connector: "openai", name: 42, [wrongKey]: wrongKey }),
    });
    const problem = (await badField.json()) as { status: number; field: string; detail: string };
    expect([problem.status, problem.field]).toEqual([400, "body.name"]);
    const unknownKey = await raw("/credentials", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "k", values: { apiKey: "v" }, [wrongKey]: 1 }),
    });
    const unknownProblem = (await unknownKey.json()) as { status: number; field: string; detail: string };
    expect([unknownProblem.status, unknownProblem.field]).toEqual([400, "body"]);
    const notJson = await raw("/credentials", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"id": "${wrongKey}"`,
    });
    expect(notJson.status).toBe(400);
    const badId = await raw("/integrations/has%20space");
    expect([badId.status, ((await badId.json()) as { field: string }).field]).toEqual([400, "path.id"]);
    const unknownConnector = await problemOf(client().integrations.create({ connector: "nope", name: "x" }));
    expect([unknownConnector.status, unknownConnector.code]).toEqual([400, "unknown_connector"]);
  });

  it("serves its OpenAPI document without authentication", async () => {
    const response = await raw("/openapi.json", {}, null);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });
});

describe("router options", () => {
  it("a body sent without Content-Length cannot exceed the limit (413 while reading, node adapter)", async () => {
    const served = await serveNode(makeRouter(), PREFIX);
    try {
      const chunk = new TextEncoder().encode("x".repeat(16_384));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 10) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await served.fetch(`${served.base}/credentials`, {
        method: "POST",
        headers: { ...as("t"), "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(response.status).toBe(413);
    } finally {
      await served.close();
    }
  });

  it("the csrf hook guards every unsafe method (403) and lets reads through", async () => {
    const served = await serveHono(makeRouter({ csrf: true }), PREFIX);
    const post = (headers: Record<string, string>) =>
      served.fetch(`${served.base}/credentials`, {
        method: "POST",
        headers: { ...as("t"), "content-type": "application/json", ...headers },
        body: JSON.stringify({ id: "c", values: { apiKey: key } }),
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ "x-csrf": "ok" })).status).toBe(201);
    expect((await served.fetch(`${served.base}/credentials`, { headers: as("t") })).status).toBe(200);
  });

  it("restore on a store without soft delete is 501 unsupported", async () => {
    const inner = memoryBackend({ env: {} });
    const backend = {
      ...inner,
      name: inner.name,
      capabilities: { ...inner.capabilities, softDelete: false },
    };
    const served = await serveHono(makeRouter({ backend }), PREFIX);
    const api = createClient({ baseUrl: served.base, fetch: served.fetch, headers: as("t") });
    await api.credentials.create({ id: "c", values: { apiKey: key } });
    const error = await problemOf(api.credentials.restore("c"));
    expect([error.status, error.code]).toEqual([501, "unsupported"]);
  });

  it("mounts serve below the prefix, behind authenticate unless public", async () => {
    const credentials = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
    const router = createRouter({
      credentials,
      authenticate: testAuthenticate,
      prefix: PREFIX,
      mounts: [
        { path: "/admin", fetch: (_request, { principal }) => new Response(`hello ${principal?.tenantId}`) },
        {
          path: "/assets",
          public: true,
          fetch: () => new Response("body{}", { headers: { "content-type": "text/css" } }),
        },
      ],
    });
    const served = await serveHono(router, PREFIX);
    expect((await served.fetch(`${served.base}/admin/index.html`)).status).toBe(401);
    expect(await (await served.fetch(`${served.base}/admin`, { headers: as("t") })).text()).toBe("hello t");
    expect(await (await served.fetch(`${served.base}/assets/app.css`)).text()).toBe("body{}");
  });

  it("refuses to be created without an authenticate hook", () => {
    const credentials = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
    expect(() => createRouter({ credentials } as never)).toThrow(/authenticate/);
  });
});
