/**
 * The built-in per-organisation X-API-Key authentication over real HTTP (node adapter on
 * 127.0.0.1): keys stored hashed, the key opens its own organisation only, the
 * `/api/v1/integrations/{org}` paths answer 404 for another organisation, and no key appears in
 * any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { apiKeyAuthentication, createRouter, generateApiKey, hashApiKey } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";
import { type Served, serveNode, transcript } from "./support.js";

let served: Served;
let acme: { key: string; hash: string };
let globex: { key: string; hash: string };
const lookups: string[] = [];

beforeAll(async () => {
  acme = await generateApiKey();
  globex = await generateApiKey();
  const credentials = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
  const router = createRouter({
    credentials,
    connections: memoryConnectionStore(),
    authenticate: apiKeyAuthentication({
      keys: [
        { tenantId: "acme", hash: acme.hash },
        { tenantId: "globex", hash: globex.hash, actor: "globex-admin" },
      ],
    }),
  });
  served = await serveNode(router, "");
});
afterAll(async () => {
  await served.close();
  const all = transcript.join("\n");
  expect(all.includes(acme.key) || all.includes(globex.key)).toBe(false);
});

const call = (path: string, key?: string, init: RequestInit = {}) =>
  served.fetch(`${served.base}${path}`, {
    ...init,
    headers: { ...(key ? { "x-api-key": key } : {}), ...(init.headers as object) },
  });

describe("X-API-Key authentication", () => {
  it("stores only a hash: sha256 of the key, not the key", async () => {
    expect(acme.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(acme.hash).toBe(await hashApiKey(acme.key));
    expect(acme.hash.includes(acme.key)).toBe(false);
    expect(acme.key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
  });

  it("a missing, malformed or unknown key is 401 with the X-API-Key challenge", async () => {
    for (const key of [undefined, "short", `${acme.key}x`]) {
      const response = await call("/integrations", key);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('ApiKey header="X-API-Key"');
    }
  });

  it("each key opens its own organisation: /api/v1/integrations/{org} paths of another org are 404", async () => {
    const setup = await call("/api/v1/integrations/acme/openai/setup", acme.key, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ credentials: `sk-${"a".repeat(40)}` }),
    });
    expect(setup.status).toBe(201);
    expect((await call("/api/v1/integrations/acme/openai", acme.key)).status).toBe(200);
    expect((await call("/api/v1/integrations/acme/openai", globex.key)).status).toBe(404);
    expect((await call("/api/v1/integrations/acme", globex.key)).status).toBe(404);
    const theirs = (await (await call("/integrations", globex.key)).json()) as { integrations: unknown[] };
    expect(theirs.integrations).toEqual([]);
  });

  it("the actor of the key is recorded on writes", async () => {
    const created = await call("/credentials", globex.key, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "k", values: { token: "value-1" } }),
    });
    expect(((await created.json()) as { createdBy: string }).createdBy).toBe("globex-admin");
  });

  it("a lookup function receives the hash, never the key, and is checked again in constant time", async () => {
    const authenticate = apiKeyAuthentication({
      keys: (hash) => {
        lookups.push(hash);
        return hash === acme.hash ? { tenantId: "acme", hash } : { tenantId: "acme", hash: globex.hash };
      },
    });
    const request = (key: string) => new Request("http://x/", { headers: { "x-api-key": key } });
    expect(await authenticate(request(acme.key))).toEqual({ tenantId: "acme", actor: "api-key:acme" });
    // A lookup that returns an entry whose hash does not match the key is refused.
    expect(await authenticate(request(`${acme.key}zz`))).toMatchObject({ refuse: 401 });
    expect(lookups).toContain(acme.hash);
    expect(lookups.some((item) => item.includes(acme.key))).toBe(false);
  });
});
