/**
 * The admin mount over real HTTP, without a browser: security headers on every answer, the
 * redirect, caching, refusals; the CSRF check the mount brings to every state-changing request;
 * the audit route the page reads; the built assets are current, free of inline code and storage,
 * and their gzip sizes (printed, and held to a budget).
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_ASSETS_FILE, renderAdminAssets } from "../../scripts/generate-admin.js";
import { ADMIN_ASSETS } from "../../src/http/admin/assets.generated.js";
import type { AuditEventView, IntegrationView } from "../../src/http/client.js";
import { ADMIN_CSP, CSRF_HEADER, sameOriginCsrf } from "../../src/http/index.js";
import { providerKey, SDK_ENV } from "../connectors/support.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { uniqueId } from "../support/fixtures.js";
import { type AdminServer, jsonOf, PREFIX, sessionCookie, startAdminServer, transcript } from "./support.js";

/** The most the page may ship, gzipped, all files together. */
const GZIP_BUDGET_BYTES = 16 * 1024;

const key = providerKey("sk-");
const tenant = uniqueId("org");
const other = uniqueId("org");
let provider: LoopbackServer;
let admin: AdminServer;

function call(path: string, init: RequestInit & { tenantId?: string | null } = {}): Promise<Response> {
  const { tenantId = tenant, headers, ...rest } = init;
  return fetch(`${admin.origin}${PREFIX}${path}`, {
    redirect: "manual",
    ...rest,
    headers: {
      ...(tenantId ? { cookie: sessionCookie(tenantId) } : {}),
      ...(headers as Record<string, string>),
    },
  });
}

function json(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  provider = await startOpenAIServer({ apiKey: key });
  admin = await startAdminServer(provider.url);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await admin.close();
  await provider.close();
  expect(transcript.join("\n").includes(key)).toBe(false);
});

describe("admin mount", () => {
  it("serves the page, script and style sheet with a strict CSP and the security headers", async () => {
    for (const path of ["/admin/", "/admin/admin.js", "/admin/admin.css", "/admin/nope.js"]) {
      const answer = await call(path);
      expect(answer.headers.get("content-security-policy"), path).toBe(ADMIN_CSP);
      expect(answer.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(answer.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(answer.headers.get("x-frame-options"), path).toBe("DENY");
    }
    expect(ADMIN_CSP).toContain("default-src 'self'");
    expect(ADMIN_CSP).toContain("frame-ancestors 'none'");
    expect(ADMIN_CSP).not.toContain("unsafe");
    const page = await call("/admin/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(await page.text()).toContain(`<meta name="credkit-api" content="${PREFIX}">`);
    expect((await call("/admin/admin.js")).headers.get("content-type")).toBe(
      "text/javascript; charset=utf-8",
    );
  });

  it("redirects the bare path to the page, below the prefix only", async () => {
    const answer = await call("/admin");
    expect(answer.status).toBe(308);
    expect(answer.headers.get("location")).toBe(`${PREFIX}/admin/`);
    const doubled = await fetch(`${admin.origin}${PREFIX}//admin`, {
      redirect: "manual",
      headers: { cookie: sessionCookie(tenant) },
    });
    expect(doubled.headers.get("location")).toBe(`${PREFIX}/admin/`);
  });

  it("answers 304 to a current ETag, HEAD without a body, 405 to other methods, 404 to other names", async () => {
    const script = await call("/admin/admin.js");
    const etag = script.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await call("/admin/admin.js", { headers: { "if-none-match": etag! } })).status).toBe(304);
    const head = await call("/admin/admin.css", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await call("/admin/", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    for (const name of ["constructor", "__proto__", "toString", "../admin.js"]) {
      expect((await call(`/admin/${encodeURIComponent(name)}`)).status, name).toBe(404);
    }
  });

  it("asks the same authenticate hook as the API: no session, no page", async () => {
    const answer = await call("/admin/", { tenantId: null });
    expect(answer.status).toBe(401);
    expect((await call("/admin/admin.js", { tenantId: null })).status).toBe(401);
  });
});

describe("CSRF check brought by the admin mount", () => {
  const body = { id: "csrf-probe", values: { apiKey: key } };

  it("refuses browser requests from another site, and same-origin ones without the header", async () => {
    const host = new URL(admin.origin).host;
    const refused: Array<Record<string, string>> = [
      { origin: "http://evil.example" },
      { origin: "http://evil.example", [CSRF_HEADER]: "1" },
      { "sec-fetch-site": "cross-site", [CSRF_HEADER]: "1" },
      { "sec-fetch-site": "same-site", [CSRF_HEADER]: "1", origin: `http://${host}` },
      { "sec-fetch-site": "same-origin" },
      { origin: `http://${host}` },
      { origin: "null", [CSRF_HEADER]: "1" },
    ];
    for (const headers of refused) {
      const init = json(body);
      const answer = await call("/credentials", { ...init, headers: { ...init.headers, ...headers } });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect((await jsonOf<{ code: string }>(answer)).code).toBe("forbidden");
    }
    const bodiless = await call("/credentials/csrf-probe", {
      method: "DELETE",
      headers: { origin: "http://evil.example" },
    });
    expect(bodiless.status).toBe(403);
    expect((await call("/credentials/csrf-probe")).status).toBe(404);
  });

  it("lets the page's own requests and non-browser callers through", async () => {
    const host = new URL(admin.origin).host;
    const init = json(body);
    const fromPage = await call("/credentials", {
      ...init,
      headers: {
        ...init.headers,
        origin: `http://${host}`,
        "sec-fetch-site": "same-origin",
        [CSRF_HEADER]: "1",
      },
    });
    expect(fromPage.status).toBe(201);
    const server = await call("/credentials/csrf-probe", { method: "DELETE" });
    expect(server.status).toBe(204);
  });

  it("sameOriginCsrf accepts the configured origins behind a proxy that rewrites Host", () => {
    const principal = { tenantId: "t", actor: "a" };
    const request = (headers: Record<string, string>) =>
      new Request("http://internal:8080/x", {
        method: "POST",
        headers: { host: "internal:8080", ...headers },
      });
    const check = sameOriginCsrf({ origins: ["https://admin.example.com/"] });
    expect(check(request({ origin: "https://admin.example.com", [CSRF_HEADER]: "1" }), principal)).toBe(true);
    expect(check(request({ origin: "https://other.example.com", [CSRF_HEADER]: "1" }), principal)).toBe(
      false,
    );
    expect(
      sameOriginCsrf()(request({ origin: "https://admin.example.com", [CSRF_HEADER]: "1" }), principal),
    ).toBe(false);
    expect(check(request({}), principal)).toBe(true);
  });
});

describe("routes the page reads", () => {
  it("GET /audit: the tenant's events newest first, limited, with names and never values", async () => {
    expect((await call("/credentials", json({ id: "audited", values: { apiKey: key } }))).status).toBe(201);
    const update = { ...json({ values: { apiKey: key } }), method: "PUT" };
    expect((await call("/credentials/audited", update)).status).toBe(200);
    expect(
      (await call("/credentials", { ...json({ id: "elsewhere", values: { apiKey: key } }), tenantId: other }))
        .status,
    ).toBe(201);
    const answer = await call("/audit?limit=2");
    expect(answer.status).toBe(200);
    const { events } = await jsonOf<{ events: AuditEventView[] }>(answer);
    expect(events).toHaveLength(2);
    expect(events[0]!).toMatchObject({ action: "rotate", name: "audited", outcome: "success", version: 2 });
    expect(events[0]!.accessor).toBe(`operator-of-${tenant}`);
    expect(Date.parse(events[0]!.time)).toBeGreaterThanOrEqual(Date.parse(events[1]!.time));
    const all = await jsonOf<unknown>(await call("/audit"));
    expect(JSON.stringify(all)).not.toContain("elsewhere");
    expect(JSON.stringify(all)).not.toContain(key);
    expect((await call("/audit?limit=0")).status).toBe(400);
  });

  it("GET /audit: a brokered call's method, path, status and key source", async () => {
    const record = {
      provider: "openai",
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      latencyMs: 12,
      keySource: "tenant" as const,
    };
    admin.credentials.audit.sink({
      time: Date.now(),
      tenant,
      name: "brokered",
      accessor: "broker",
      action: "call",
      outcome: "success",
      call: record,
    });
    const { events } = await jsonOf<{ events: AuditEventView[] }>(await call("/audit?limit=1"));
    expect(events[0]).toMatchObject({ action: "call", name: "brokered", call: record });
  });

  it("GET /integrations/{id}/credentials: masked key and its keyed fingerprint", async () => {
    const created = await call(
      "/integrations",
      json({ connector: "openai", name: "Printed", credentials: { apiKey: key } }),
    );
    expect(created.status).toBe(201);
    const { id } = await jsonOf<IntegrationView>(created);
    const facts = await jsonOf<{ credentials: Record<string, string>; fingerprints: Record<string, string> }>(
      await call(`/integrations/${id}/credentials`),
    );
    expect(facts.credentials.apiKey).toBe(`***${key.slice(-6)}`);
    expect(facts.fingerprints.apiKey).toMatch(/^\w{6,}$/);
    expect(JSON.stringify(facts)).not.toContain(key);
  });
});

describe("built assets", () => {
  it("are current (run npm run generate:admin)", async () => {
    expect(readFileSync(ADMIN_ASSETS_FILE, "utf8"), "stale: run npm run generate:admin").toBe(
      await renderAdminAssets(),
    );
  });

  it("have no inline script or style, and the script never writes HTML strings or touches storage", () => {
    const html = ADMIN_ASSETS["index.html"]!.body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const script = ADMIN_ASSETS["admin.js"]!.body;
    for (const sink of [
      "innerHTML",
      "outerHTML",
      "insertAdjacentHTML",
      "document.write",
      "localStorage",
      "sessionStorage",
      "indexedDB",
      "eval(",
    ]) {
      expect(script.includes(sink), sink).toBe(false);
    }
  });

  it("ship few bytes (gzip sizes printed; budget 16 KiB)", () => {
    let total = 0;
    const lines = Object.values(ADMIN_ASSETS).map((asset) => {
      const raw = Buffer.byteLength(asset.body);
      const gzip = gzipSync(asset.body, { level: 9 }).byteLength;
      total += gzip;
      return `${asset.name}: ${raw} B raw, ${gzip} B gzip`;
    });
    console.log(`admin page bytes shipped:\n  ${lines.join("\n  ")}\n  total: ${total} B gzip`);
    expect(total).toBeLessThan(GZIP_BUDGET_BYTES);
  });
});
