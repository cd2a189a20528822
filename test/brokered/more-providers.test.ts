/**
 * Brokered mode and metering for the OpenAI-compatible hosts, Azure OpenAI, Mistral and Cohere,
 * through their official SDKs' custom fetch against the loopback stand-ins: the wire carries the
 * provider's own auth header with the stored key, nothing reachable from the connector holds it,
 * and the meter's sums equal the usage the stand-in reported, call for call.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createBroker, createUsageMeter } from "../../src/connectors/brokered/index.js";
import type { OpenAICompatibleId } from "../../src/connectors/openai-compatible/spec.js";
import { alphanumericKey, SDK_ENV } from "../connectors/support.js";
import { startAzureOpenAIServer } from "../servers/providers/azure-openai.js";
import type { LoopbackServer, RecordedRequest } from "../servers/providers/base.js";
import { startCohereServer } from "../servers/providers/cohere.js";
import { startMistralServer } from "../servers/providers/mistral.js";
import { HOST_WIRE, startOpenAICompatibleServer } from "../servers/providers/openai-compatible.js";
import { guardOutput } from "../support/output.js";
import { assertHoldsNoKey, managerOn } from "./support.js";

const AZURE = { deployment: "gpt-4o-mini-eu", apiVersion: "2024-10-21" };

interface Case {
  readonly id: OpenAICompatibleId | "azure-openai" | "mistral" | "cohere";
  readonly key: string;
  /** The header the provider reads the key from, and its value. */
  readonly header: readonly [string, string];
  readonly start: (key: string) => Promise<LoopbackServer>;
  /** The connector's base URL on the stand-in. */
  readonly base: (server: LoopbackServer) => string;
  /** Settings stored beside the key. */
  readonly settings?: Record<string, string>;
}

const host = (id: OpenAICompatibleId, key: string): Case => ({
  id,
  key,
  header: ["authorization", `Bearer ${key}`],
  start: (apiKey) => startOpenAICompatibleServer({ id, apiKey }),
  base: (server) => `${server.url}${HOST_WIRE[id].prefix}`,
});

const azureKey = alphanumericKey(84);
const mistralKey = alphanumericKey(32);
const cohereKey = alphanumericKey(40);
const cases: Case[] = [
  host("groq", alphanumericKey(52, "gsk_")),
  host("together", `tgp_v1_${alphanumericKey(43)}`),
  host("deepseek", alphanumericKey(32, "sk-")),
  host("xai", alphanumericKey(80, "xai-")),
  host("openrouter", alphanumericKey(64, "sk-or-v1-")),
  {
    id: "azure-openai",
    key: azureKey,
    header: ["api-key", azureKey],
    start: (apiKey) => startAzureOpenAIServer({ apiKey, ...AZURE }),
    base: (server) => server.url,
    settings: AZURE,
  },
  {
    id: "mistral",
    key: mistralKey,
    header: ["authorization", `Bearer ${mistralKey}`],
    start: (apiKey) => startMistralServer({ apiKey }),
    base: (server) => server.url,
  },
  {
    id: "cohere",
    key: cohereKey,
    header: ["authorization", `Bearer ${cohereKey}`],
    start: (apiKey) => startCohereServer({ apiKey }),
    base: (server) => server.url,
  },
];
guardOutput(() => cases.map((entry) => entry.key));

const servers = new Map<string, LoopbackServer>();
beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  for (const entry of cases) servers.set(entry.id, await entry.start(entry.key));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([...servers.values()].map((server) => server.close()));
});

/**
 * The usage the stand-in reported for `request`: every one of them reports the prompt's length
 * in and six more out (Cohere as its billed units).
 */
function reportedUsage(request: RecordedRequest): { input: number; output: number } {
  const prompt = (request.body as { messages: Array<{ role: string; content: string }> }).messages
    .filter((message) => message.role === "user")
    .at(-1)?.content.length as number;
  return { input: prompt, output: prompt + 6 };
}

describe("brokered connectors of the other providers", () => {
  for (const entry of cases) {
    it(`${entry.id}: the ${entry.header[0]} header carries the stored key, nothing holds it, usage sums exactly`, async () => {
      const server = servers.get(entry.id) as LoopbackServer;
      const baseURL = entry.base(server);
      const manager = managerOn();
      await manager.storeCredentials(entry.id, "tenant-x", {
        apiKey: entry.key,
        ...(entry.id === "azure-openai" ? { baseURL } : {}),
        ...entry.settings,
      });
      const meter = createUsageMeter();
      const broker = createBroker({ credentials: manager, meter, hosts: { [entry.id]: [server.url] } });
      await using connector = await broker.connect(entry.id as "groq", "tenant-x", {
        ...(entry.id === "azure-openai" ? {} : { baseURL }),
        maxRetries: 0,
      });
      const before = server.requests.length;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, index) => connector.generateText(`call ${"y".repeat(index)}`)),
      );
      expect(results.map((result) => result.keySource)).toEqual(Array(12).fill("tenant"));
      expect(results[3]?.text).toBe("echo: call yyy");

      const sent = server.requests.slice(before);
      expect(sent).toHaveLength(12);
      const [name, value] = entry.header;
      for (const request of sent) {
        expect(request.headers[name]).toBe(value);
        expect(JSON.stringify(request.headers)).not.toContain("credkit-brokered-placeholder");
      }
      if (name !== "authorization")
        for (const request of sent) expect(request.headers.authorization).toBeUndefined();
      assertHoldsNoKey([connector, connector.client], entry.key);

      const wire = sent.map(reportedUsage);
      const totals = await meter.totals({ tenantId: "tenant-x", provider: entry.id });
      expect(totals).toMatchObject({
        calls: 12,
        inputTokens: wire.reduce((total, usage) => total + usage.input, 0),
        outputTokens: wire.reduce((total, usage) => total + usage.output, 0),
      });
      expect(manager.audit.events({ action: "call", tenant: "tenant-x" })).toHaveLength(12);
    });
  }
});
