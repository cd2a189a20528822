/**
 * No credential header crosses origins on a redirect: each connector's verification call goes to
 * a stand-in that redirects to another origin, which records what arrives.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EgressLookup } from "../../src/connectors/egress.js";
import { getConnector } from "../../src/connectors/registry.js";
import { type LoopbackServer, type RecordedRequest, startLoopback } from "../servers/providers/base.js";
import { guardOutput } from "../support/output.js";
import { providerKey, SDK_ENV } from "./support.js";

const keys = {
  openai: providerKey("sk-"),
  anthropic: providerKey("sk-ant-"),
  gemini: providerKey("AIza"),
  firecrawl: providerKey("fc-"),
  http: `tok-${providerKey("sk-")}`,
};
guardOutput(() => Object.values(keys));

/** Answers what each SDK's verification call expects, whatever the credential. */
function listing(request: RecordedRequest) {
  if (request.path.includes("credit-usage")) {
    return { status: 200, body: { success: true, data: { remaining_credits: 7 } } };
  }
  return {
    status: 200,
    body: { object: "list", data: [], models: [], has_more: false, first_id: null, last_id: null },
  };
}

const lookup: EgressLookup = async () => [{ address: "127.0.0.1", family: 4 }];
let origin: LoopbackServer;
let target: LoopbackServer;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  target = await startLoopback(() => undefined, listing);
  const other = `http://localhost:${new URL(target.url).port}`;
  origin = await startLoopback(
    () => undefined,
    (request) => {
      const query = request.query.size > 0 ? `?${request.query}` : "";
      return { status: 307, headers: { location: `${other}${request.path}${query}` } };
    },
  );
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([origin.close(), target.close()]);
});

describe("issue 14 item 6: no credential header crosses origins on redirect", () => {
  const cases: Array<[keyof typeof keys, string]> = [
    ["openai", "/v1"],
    ["anthropic", ""],
    ["gemini", ""],
    ["firecrawl", ""],
    ["http", ""],
  ];

  it.each(cases)("%s: the redirect target never sees the key", async (id, path) => {
    target.requests.length = 0;
    origin.requests.length = 0;
    const connector = await getConnector(
      id as "openai",
      { apiKey: keys[id], token: keys[id] },
      {
        baseURL: `${origin.url}${path}`,
        maxRetries: 0,
        egress: { allowHosts: ["localhost"], lookup },
      },
    );
    await connector.testConnection();
    await connector.cleanup();
    // the origin got the key: the redirect, not a missing credential, is what is tested
    expect(JSON.stringify(origin.requests.map((request) => request.headers))).toContain(keys[id]);
    if (id !== "http") expect(target.requests.length).toBeGreaterThan(0);
    for (const request of target.requests) {
      for (const header of ["authorization", "x-api-key", "x-goog-api-key"]) {
        expect(request.headers[header], header).toBeUndefined();
      }
      const seen = `${JSON.stringify(request.headers)} ${request.path}?${request.query}`;
      const key = keys[id];
      for (const form of [key, encodeURIComponent(key), Buffer.from(key).toString("base64")]) {
        expect(seen).not.toContain(form);
      }
    }
  });
});
