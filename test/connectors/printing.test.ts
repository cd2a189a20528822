/**
 * Printing a connector or its SDK client (console.log, util.inspect, JSON.stringify, a spread)
 * never shows the key: the SDK clients keep it in plain properties (`apiKey`, `apiClient`…).
 * No network: building a connector makes no call.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getConnector } from "../../src/connectors/registry.js";
import { assertNoLeak } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { providerKey, SDK_ENV } from "./support.js";

const keys = {
  openai: providerKey("sk-"),
  anthropic: providerKey("sk-ant-"),
  firecrawl: providerKey("fc-"),
  gemini: providerKey("AIza"),
  http: "tok-canary-5d0c2b9e8f7a6b5c4d3e2f1a",
};
guardOutput(() => Object.values(keys));

beforeAll(() => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
});
afterAll(() => vi.unstubAllEnvs());

/** The ways an object is commonly turned into text (what `console.log` does included). */
function printed(value: object): string[] {
  return [
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    inspect(value, { depth: Number.POSITIVE_INFINITY, getters: true }),
    JSON.stringify(value),
    String(value),
  ];
}

/** A connector's copies: its enumerable properties must not include the SDK client. */
function copied(value: object): string[] {
  return [JSON.stringify({ ...value }), inspect(Object.fromEntries(Object.entries(value)), { depth: 20 })];
}

describe.each(Object.keys(keys) as (keyof typeof keys)[])("%s connector", (id) => {
  it("inspect and JSON.stringify of the connector and its client, and copies of the connector, never show the key", async () => {
    const connector = await getConnector(
      id,
      { apiKey: keys[id], token: keys[id] },
      { baseURL: "http://127.0.0.1:9" },
    );
    const client = connector.client as object;
    for (const text of [...printed(connector), ...copied(connector), ...printed(client)]) {
      assertNoLeak(text, keys[id]);
    }
    expect(inspect(connector)).toContain(`id: '${id}'`);
    expect(JSON.parse(JSON.stringify(connector))).toMatchObject({ id, closed: false });
    await connector.cleanup();
    expect(JSON.parse(JSON.stringify(connector))).toMatchObject({ id, closed: true });
    for (const text of printed(connector)) assertNoLeak(text, keys[id]);
  });
});

describe("issue 14 item 9: connectors.md says the client is the SDK's own object and holds the key", () => {
  it("the docs say so next to the advice to use the methods or call(), and it is true", async () => {
    const docs = readFileSync(join(process.cwd(), "docs/connectors.md"), "utf8");
    const paragraph = docs
      .split("\n\n")
      .find((block) => block.includes("`connector.client` is the SDK's own object"));
    expect(paragraph).toBeDefined();
    expect(paragraph).toMatch(/holds the key/);
    expect(paragraph).toMatch(/\{ \.\.\.client \}/);
    expect(paragraph).toMatch(/Object\.entries\(client\)/);
    expect(paragraph).toMatch(/customInspect: false/);
    expect(paragraph).toMatch(/connector's methods/);
    expect(paragraph).toMatch(/connector\.call\(/);
    // what the paragraph warns about: the SDK object's own properties carry the key
    const connector = await getConnector(
      "openai",
      { apiKey: keys.openai },
      { baseURL: "http://127.0.0.1:9/v1" },
    );
    const raw = inspect(connector.client, { customInspect: false, depth: 0 });
    expect(
      raw.includes(keys.openai) || JSON.stringify(Object.entries(connector.client)).includes(keys.openai),
    ).toBe(true);
    await connector.cleanup();
  });
});
