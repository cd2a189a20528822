/**
 * The `node:http` adapter writes the router's own answers without building a `Response`: over
 * real HTTP they carry the same status, headers and body as `router.fetch` gives for the same
 * request, whether the adapter is handed the router itself or a handler wrapping `router.fetch`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createRouter } from "../../src/http/index.js";
import { ANSWER, type AnswersDirectly } from "../../src/http/known-bodies.js";
import { as, memoryManager, type Served, serveNode, testAuthenticate } from "./support.js";

/** Headers the HTTP layer adds, not the router. */
const TRANSPORT = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

async function shape(response: Response) {
  const headers = [...response.headers].filter(([name]) => !TRANSPORT.has(name));
  return { status: response.status, headers, body: await response.text() };
}

describe("node adapter", () => {
  const router = createRouter({ credentials: memoryManager(), authenticate: testAuthenticate });
  const served: Served[] = [];
  afterAll(() => Promise.all(served.map((server) => server.close())));

  it("answers as router.fetch does: reads, 201 with an ETag, 204, 404 and 405 problems", async () => {
    const direct = await serveNode(router, "");
    const wrapped = await serveNode({ fetch: (request) => router.fetch(request) }, "");
    served.push(direct, wrapped);
    const created = await direct.fetch(`${direct.base}/integrations`, {
      method: "POST",
      headers: { ...as("acme"), "content-type": "application/json" },
      body: JSON.stringify({
        id: "one",
        connector: "openai",
        name: "One",
        configuration: { model: "gpt-4o-mini" },
        secretsReferences: { apiKey: { secret_name: "openai-shared" } },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"i1"');
    const requests: Array<[string, RequestInit]> = [
      ["/integrations", { headers: as("acme") }],
      ["/integrations/one", { headers: as("acme") }],
      ["/integrations/missing", { headers: as("acme") }],
      ["/integrations", { method: "PUT", headers: as("acme") }],
      ["/integrations", {}],
      ["/nowhere", { headers: as("acme") }],
    ];
    for (const [path, init] of requests) {
      const expected = await shape(await router.fetch(new Request(`http://localhost${path}`, init)));
      expect(await shape(await direct.fetch(`${direct.base}${path}`, init)), path).toEqual(expected);
      expect(await shape(await wrapped.fetch(`${wrapped.base}${path}`, init)), path).toEqual(expected);
    }
    const deleted = await direct.fetch(`${direct.base}/integrations/one`, {
      method: "DELETE",
      headers: as("acme"),
    });
    expect([deleted.status, await deleted.text()]).toEqual([204, ""]);
  });

  it("writes the router's own answers without a Response: a listing comes back as text, and the adapter uses it", async () => {
    const direct = router as typeof router & AnswersDirectly;
    const answer = await direct[ANSWER](
      new Request("http://localhost/integrations", { headers: as("acme") }),
    );
    expect(answer).not.toBeInstanceOf(Response);
    // a handler whose fetch fails: the adapter answers through ANSWER alone
    const answering = {
      fetch: () => Promise.reject(new Error("fetch must not be called")),
      [ANSWER]: () => Promise.resolve({ status: 200, headers: { "x-path": "answer" }, body: "direct" }),
    };
    const server = await serveNode(answering, "");
    served.push(server);
    const response = await server.fetch(`${server.base}/anything`);
    expect([response.status, response.headers.get("x-path"), await response.text()]).toEqual([
      200,
      "answer",
      "direct",
    ]);
  });
});
