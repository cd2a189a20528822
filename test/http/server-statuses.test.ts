/**
 * The statuses no other HTTP test reaches, over real HTTP behind the node adapter: 410 for an
 * expired credential, 503 for an unreachable store (its message never in the answer, told to
 * `onError`), 429 with `Retry-After` for a throttling store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ThrottledError, UnavailableError } from "../../src/core/errors.js";
import { createRouter } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";
import { as, type Served, serveNode } from "./support.js";

const INTERNAL = "pool exhausted at db-7.internal:5432";

describe("server-side and time-bound statuses", () => {
  let served: Served;
  let failure: Error | undefined;
  const told: unknown[] = [];
  beforeAll(async () => {
    const inner = memoryBackend({ env: {} });
    const backend: Backend = {
      name: inner.name,
      capabilities: inner.capabilities,
      get: inner.get.bind(inner),
      put: inner.put.bind(inner),
      delete: inner.delete.bind(inner),
      list: async (options) => {
        if (failure) throw failure;
        return inner.list(options);
      },
    };
    const router = createRouter({
      credentials: new CredentialManager({ backend, encryption: keyring(), cache: false }),
      authenticate: (request) => ({ tenantId: request.headers.get("x-test-tenant") ?? "", actor: "t" }),
      onError: (error) => told.push(error),
    });
    served = await serveNode(router, "");
  });
  afterAll(() => served.close());

  it("410 for a credential past its expiry", async () => {
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const created = await served.fetch(`${served.base}/credentials`, {
      method: "POST",
      headers: { ...as("acme"), "content-type": "application/json" },
      body: JSON.stringify({ id: "short-lived", values: { apiKey: "sk-short-lived-0000000000" }, expiresAt }),
    });
    expect(created.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const tested = await served.fetch(`${served.base}/credentials/short-lived/test`, {
      method: "POST",
      headers: { ...as("acme"), "content-type": "application/json" },
      body: JSON.stringify({ connector: "openai" }),
    });
    expect([tested.status, ((await tested.json()) as { code: string }).code]).toEqual([410, "expired"]);
  });

  it("503 for an unreachable store: a generic detail, the store's message only to onError", async () => {
    failure = new UnavailableError(INTERNAL, { source: "memory" });
    const listed = await served.fetch(`${served.base}/credentials`, { headers: as("acme") });
    const text = await listed.text();
    expect(listed.status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({
      code: "unavailable",
      detail: "The credential store is unavailable",
    });
    expect(text).not.toContain("db-7.internal");
    expect(told.length).toBeGreaterThan(0);
  });

  it("429 with Retry-After for a throttling store", async () => {
    failure = new ThrottledError("slow down", { retryAfterMs: 2500 });
    const listed = await served.fetch(`${served.base}/credentials`, { headers: as("acme") });
    expect([listed.status, listed.headers.get("retry-after")]).toEqual([429, "3"]);
    failure = undefined;
  });
});
