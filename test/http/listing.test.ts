/**
 * Listing integrations on the router's defaults (connections beside the credentials, the manager's
 * cache on): a cached page's JSON is rendered once and answered as is, and every change made
 * through the router (create, update, disable, delete) shows in the next listing.
 */
import { describe, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { createRouter } from "../../src/http/index.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import { as, testAuthenticate } from "./support.js";

const tenant = uniqueId("org");
const credentials = new CredentialManager({
  backend: memoryBackend({ env: {} }),
  encryption: keyring(),
  cache: { ttlMs: 60_000 },
});
const router = createRouter({ credentials, authenticate: testAuthenticate });

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { ...as(tenant) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await router.fetch(
    new Request(`http://test${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
  expect(response.status).toBeLessThan(300);
  return response;
}

const listing = async () => (await call("GET", "/integrations")).text();
const names = async () =>
  (JSON.parse(await listing()) as { integrations: Array<{ id: string; name: string; status: string }> })
    .integrations;

describe("listing integrations on the router's defaults", () => {
  it("answers a cached page's JSON as rendered, and never a stale one after a change", async () => {
    const setup = (id: string) => ({
      id,
      connector: "openai",
      name: `Integration ${id}`,
      configuration: { model: "gpt-4o-mini" },
      secretsReferences: { apiKey: { secret_name: "openai-shared" } },
    });
    await call("POST", "/integrations", setup("a"));
    const first = await listing();
    // the second listing of the unchanged page renders nothing: no view is serialised again
    const stringify = vi.spyOn(JSON, "stringify");
    const second = await listing();
    const rendered = stringify.mock.calls.filter(
      ([value]) => typeof value === "object" && value !== null && "integrations" in value,
    );
    stringify.mockRestore();
    expect(second).toBe(first);
    expect(rendered).toHaveLength(0);
    expect(JSON.parse(first).integrations.map((item: { id: string }) => item.id)).toEqual(["a"]);

    await call("POST", "/integrations", setup("b"));
    expect((await names()).map((item) => item.id)).toEqual(["a", "b"]);
    await call("PATCH", "/integrations/a", { name: "Renamed" });
    expect((await names())[0]?.name).toBe("Renamed");
    await call("POST", "/integrations/b/disable");
    expect((await names())[1]?.status).toBe("disabled");
    await call("DELETE", "/integrations/a");
    expect((await names()).map((item) => item.id)).toEqual(["b"]);
  });
});
