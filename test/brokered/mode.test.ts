/**
 * Brokered mode through the official SDKs against loopback stand-ins: nothing reachable from the
 * connector or its client holds the key, the wire carries each provider's auth header, hosts
 * outside the provider's list are refused before sending, every call is audited (no query
 * values), and a 401 after a rotation re-reads the credential past the cache and retries once.
 */
import { getEventListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { BROKERED_PLACEHOLDER, createBroker } from "../../src/connectors/brokered/index.js";
import { getConnector } from "../../src/connectors/registry.js";
import { EgressBlockedError, UnsupportedError } from "../../src/core/errors.js";
import { providerKey, rejection, SDK_ENV } from "../connectors/support.js";
import { startAnthropicServer } from "../servers/providers/anthropic.js";
import { type LoopbackServer, type RecordedRequest, startLoopback } from "../servers/providers/base.js";
import { startGeminiServer } from "../servers/providers/gemini.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { guardOutput } from "../support/output.js";
import { assertHoldsNoKey, managerOn } from "./support.js";

const keys = { openai: providerKey("sk-"), anthropic: providerKey("sk-ant-"), gemini: providerKey("AIza") };
const rotated = providerKey("sk-");
guardOutput(() => [...Object.values(keys), rotated]);

const servers = {} as Record<"openai" | "anthropic" | "gemini" | "elsewhere", LoopbackServer>;
const baseURL = (id: "openai" | "anthropic" | "gemini" | "elsewhere") =>
  id === "openai" || id === "elsewhere" ? `${servers[id].url}/v1` : servers[id].url;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  servers.openai = await startOpenAIServer({ apiKey: keys.openai, echoKey: true });
  servers.anthropic = await startAnthropicServer({ apiKey: keys.anthropic, echoKey: true });
  servers.gemini = await startGeminiServer({ apiKey: keys.gemini, echoKey: true });
  servers.elsewhere = await startOpenAIServer({ apiKey: keys.openai });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

const header = (request: RecordedRequest | undefined, name: string) => request?.headers[name];

describe("brokered connectors hold no key and put it on the wire", () => {
  const cases = [
    { id: "openai", expected: { authorization: `Bearer ${keys.openai}` }, absent: ["x-api-key"] },
    { id: "anthropic", expected: { "x-api-key": keys.anthropic }, absent: ["authorization"] },
    { id: "gemini", expected: { "x-goog-api-key": keys.gemini }, absent: ["authorization"] },
  ] as const;

  for (const { id, expected, absent } of cases) {
    it(`${id}: the auth header carries the stored key; nothing reachable holds it`, async () => {
      const manager = managerOn();
      await manager.storeCredentials(id, "tenant-a", { apiKey: keys[id] });
      const broker = createBroker({ credentials: manager, accessor: "agent-7" });
      await using connector = await broker.connect(id, "tenant-a", { baseURL: baseURL(id), maxRetries: 0 });

      const result = await connector.generateText("hello", { maxTokens: 32 });
      expect(result.text).toBe("echo: hello");
      expect(result.keySource).toBe("tenant");
      expect(connector.keySource).toBe("tenant");
      const sent = servers[id].requests.at(-1);
      for (const [name, value] of Object.entries(expected)) expect(header(sent, name)).toBe(value);
      for (const name of absent) expect(header(sent, name)).toBeUndefined();
      expect(JSON.stringify(sent?.headers)).not.toContain(BROKERED_PLACEHOLDER);
      expect(sent?.query.get("key")).toBeNull();

      // between calls: the connector, its client, and whatever hangs off them
      assertHoldsNoKey([connector, connector.client], keys[id]);
      const client = connector.client as unknown as Record<string, unknown>;
      expect(JSON.stringify(Object.entries(client))).not.toContain(keys[id]);
      expect(Object.values(client).some((value) => value === BROKERED_PLACEHOLDER)).toBe(true);

      const [event] = manager.audit.events({ action: "call", tenant: "tenant-a" }).slice(-1);
      expect(event).toMatchObject({
        tenant: "tenant-a",
        name: id,
        accessor: "agent-7",
        outcome: "success",
        call: { provider: id, method: "POST", status: 200, keySource: "tenant" },
      });
      expect(event?.call?.path).toBe(sent?.path);
      expect(event?.call?.latencyMs).toBeGreaterThanOrEqual(0);
    });
  }

  it("audits method and path without query values", async () => {
    const manager = managerOn();
    await manager.storeCredentials("openai", "tenant-q", { apiKey: keys.openai });
    await using connector = await createBroker({ credentials: manager }).connect("openai", "tenant-q", {
      baseURL: baseURL("openai"),
    });
    await connector.call((client) => client.get("/models", { query: { probe: "query-canary-42" } }));
    expect(servers.openai.requests.at(-1)?.query.get("probe")).toBe("query-canary-42");
    const events = manager.audit.events({ action: "call", tenant: "tenant-q" });
    expect(events.map((event) => [event.call?.method, event.call?.path])).toEqual([["GET", "/v1/models"]]);
    expect(JSON.stringify(events)).not.toContain("query-canary");
  });

  it("error bodies that echo the key reach the caller scrubbed, as typed errors", async () => {
    const manager = managerOn();
    const wrong = providerKey("sk-");
    await manager.storeCredentials("openai", "tenant-w", { apiKey: wrong });
    await using connector = await createBroker({ credentials: manager }).connect("openai", "tenant-w", {
      baseURL: baseURL("openai"),
      maxRetries: 0,
    });
    const error = await rejection(connector.generateText("hi"));
    expect((error as { code?: string }).code).toBe("auth");
    assertHoldsNoKey([error], wrong);
    expect(manager.audit.events({ action: "call", tenant: "tenant-w" }).map((e) => e.call?.status)).toEqual([
      401,
    ]);
  });

  it("the plain (non-brokered) connector still takes values, and the walk finds the key in it", async () => {
    await using plain = await getConnector("openai", { apiKey: keys.openai }, { baseURL: baseURL("openai") });
    expect((await plain.generateText("plain")).text).toBe("echo: plain");
    // the control: the same walk that passes brokered connectors finds a plain client's key
    expect(() => assertHoldsNoKey([plain, plain.client], keys.openai)).toThrow();
  });

  it("a long-lived connector does not pile up the SDK's abort listeners on its signal", async () => {
    const manager = managerOn();
    await manager.storeCredentials("openai", "tenant-l", { apiKey: keys.openai });
    await using connector = await createBroker({ credentials: manager }).connect("openai", "tenant-l", {
      baseURL: baseURL("openai"),
    });
    const signal = await connector.call(async (_client, signal) => signal);
    for (let index = 0; index < 30; index++) await connector.generateText(`call ${index}`);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("Firecrawl (axios, no fetch) is refused rather than sent unbrokered", async () => {
    const manager = managerOn();
    await manager.storeCredentials("firecrawl", "tenant-f", { apiKey: providerKey("fc-") });
    const error = await rejection(createBroker({ credentials: manager }).connect("firecrawl", "tenant-f"));
    expect(UnsupportedError.isInstance(error)).toBe(true);
  });
});

describe("hosts outside the provider's list are refused before sending", () => {
  it("a tenant's stored baseURL elsewhere is refused, typed, and nothing reaches it", async () => {
    const manager = managerOn();
    await manager.storeCredentials("openai", "tenant-h", {
      apiKey: keys.openai,
      baseURL: baseURL("elsewhere"),
    });
    await using connector = await createBroker({ credentials: manager }).connect("openai", "tenant-h");
    const before = servers.elsewhere.requests.length;
    const error = await rejection(connector.generateText("hi"));
    expect(EgressBlockedError.isInstance(error)).toBe(true);
    expect(servers.elsewhere.requests.length).toBe(before);
    const [event] = manager.audit.events({ action: "call", tenant: "tenant-h" });
    expect(event).toMatchObject({ outcome: "failure", call: { status: 0, path: "/v1/chat/completions" } });
  });

  it("an operator can add the host", async () => {
    const manager = managerOn();
    await manager.storeCredentials("openai", "tenant-h2", {
      apiKey: keys.openai,
      baseURL: baseURL("elsewhere"),
    });
    const broker = createBroker({ credentials: manager, hosts: { openai: [servers.elsewhere.url] } });
    await using connector = await broker.connect("openai", "tenant-h2");
    expect((await connector.generateText("allowed")).text).toBe("echo: allowed");
    expect(servers.elsewhere.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keys.openai}`);
  });
});

describe("redirects", () => {
  it("are followed with the key to the provider's hosts and refused to any other", async () => {
    const openai = servers.openai.url;
    const redirector = await startLoopback(
      () => undefined,
      (request) => ({ status: 307, headers: { location: `${openai}${request.path}` } }),
    );
    try {
      const manager = managerOn();
      await manager.storeCredentials("openai", "tenant-r", { apiKey: keys.openai });
      const refusing = createBroker({ credentials: manager });
      await using refused = await refusing.connect("openai", "tenant-r", {
        baseURL: `${redirector.url}/v1`,
        maxRetries: 0,
      });
      const before = servers.openai.requests.length;
      expect(EgressBlockedError.isInstance(await rejection(refused.generateText("hop")))).toBe(true);
      expect(servers.openai.requests.length).toBe(before);
      expect(redirector.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keys.openai}`);

      const following = createBroker({ credentials: manager, hosts: { openai: [openai] } });
      await using followed = await following.connect("openai", "tenant-r", {
        baseURL: `${redirector.url}/v1`,
        maxRetries: 0,
      });
      expect((await followed.generateText("hop")).text).toBe("echo: hop");
      expect(servers.openai.requests.at(-1)?.headers.authorization).toBe(`Bearer ${keys.openai}`);
    } finally {
      await redirector.close();
    }
  });
});

describe("rotation under load", () => {
  it("100 calls in flight; the stand-in rejects the old key once; every call succeeds after its one retry", async () => {
    const backend = memoryBackend({ env: {} });
    const manager = managerOn(backend);
    const replica = managerOn(backend);
    await manager.storeCredentials("openai", "tenant-r", { apiKey: keys.openai });
    let accepted = keys.openai;
    const server = await startOpenAIServer({
      get apiKey() {
        return accepted;
      },
    });
    // A gate in the operator's fetch holds the first 60 requests (their key already set).
    let held = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const gated: typeof fetch = async (input, init) => {
      if (held < 60) {
        held++;
        await opened;
      }
      return fetch(input, init);
    };
    try {
      await using connector = await createBroker({ credentials: manager }).connect("openai", "tenant-r", {
        baseURL: `${server.url}/v1`,
        fetch: gated,
        maxRetries: 0,
      });
      const calls = Array.from({ length: 100 }, (_, index) => connector.generateText(`call ${index}`));
      await vi.waitFor(() => expect(held).toBe(60), { timeout: 30_000, interval: 5 });
      // Rotated on another replica: this manager's cache still holds the old key.
      await replica.rotateCredentials("openai", "tenant-r", { apiKey: rotated });
      accepted = rotated;
      open();
      const results = await Promise.all(calls);
      expect(results.map((result) => result.text)).toEqual(calls.map((_, index) => `echo: call ${index}`));

      const presented = server.requests.map((request) => request.headers.authorization);
      const old = presented.filter((value) => value === `Bearer ${keys.openai}`).length;
      const fresh = presented.filter((value) => value === `Bearer ${rotated}`).length;
      expect(old + fresh).toBe(presented.length);
      expect(fresh).toBe(100);
      expect(old).toBeGreaterThanOrEqual(60);
      const events = manager.audit.events({ action: "call", tenant: "tenant-r" });
      expect(events.filter((event) => event.call?.status === 401)).toHaveLength(old);
      expect(events.filter((event) => event.call?.retried === true)).toHaveLength(old);
      expect(events.filter((event) => event.call?.status === 200)).toHaveLength(100);
    } finally {
      await server.close();
    }
  });
});
