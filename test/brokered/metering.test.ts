/**
 * Usage metering through the official SDKs against loopback stand-ins: sums match what the
 * stand-in reported, exactly, over 1,000 calls from 10 concurrent callers; queries by tenant,
 * connection and period; hard budgets in tokens and in money are never exceeded, and a refused
 * call never reaches the provider. The PostgreSQL store answers the same as the memory store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type BrokeredConnector,
  type Budget,
  createBroker,
  createUsageMeter,
  MemoryUsageStore,
  type PriceTable,
  postgresUsageStore,
  type UsageStore,
} from "../../src/connectors/brokered/index.js";
import type { ConnectorTypes } from "../../src/connectors/registry.js";
import { BudgetExceededError } from "../../src/core/errors.js";
import { providerKey, rejection, SDK_ENV } from "../connectors/support.js";
import { startAnthropicServer } from "../servers/providers/anthropic.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startGeminiServer } from "../servers/providers/gemini.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { guardOutput } from "../support/output.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";
import { managerOn } from "./support.js";

const keys = { openai: providerKey("sk-"), anthropic: providerKey("sk-ant-"), gemini: providerKey("AIza") };
guardOutput(() => Object.values(keys));

const servers = {} as Record<"openai" | "anthropic" | "gemini", LoopbackServer>;
beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  servers.openai = await startOpenAIServer({ apiKey: keys.openai });
  servers.anthropic = await startAnthropicServer({ apiKey: keys.anthropic });
  servers.gemini = await startGeminiServer({ apiKey: keys.gemini });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

const baseURL = (id: "openai" | "anthropic" | "gemini") =>
  id === "openai" ? `${servers.openai.url}/v1` : servers[id].url;

async function brokerWith(meter: ReturnType<typeof createUsageMeter>, tenants: readonly string[]) {
  const manager = managerOn();
  for (const tenant of tenants) {
    for (const id of ["openai", "anthropic", "gemini"] as const) {
      await manager.storeCredentials(id, tenant, { apiKey: keys[id] });
    }
  }
  return createBroker({ credentials: manager, meter });
}

/** `callers` concurrent loops of `each` sequential calls; returns each call's reported usage. */
async function load(
  callers: number,
  each: number,
  call: (
    caller: number,
    index: number,
  ) => Promise<{ usage?: { inputTokens?: number; outputTokens?: number } }>,
) {
  const usage = await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      const seen: Array<{ caller: number; input: number; output: number }> = [];
      for (let index = 0; index < each; index++) {
        const result = await call(caller, index);
        seen.push({ caller, input: result.usage?.inputTokens ?? 0, output: result.usage?.outputTokens ?? 0 });
      }
      return seen;
    }),
  );
  return usage.flat();
}

const sum = (items: Array<{ input: number; output: number }>) =>
  items.reduce((total, item) => ({ input: total.input + item.input, output: total.output + item.output }), {
    input: 0,
    output: 0,
  });

describe("usage metering", () => {
  it("1,000 calls from 10 concurrent callers: sums match the stand-in's reported usage exactly", async () => {
    const meter = createUsageMeter();
    const broker = await brokerWith(meter, ["tenant-a", "tenant-b"]);
    const connectors = await Promise.all(
      ["tenant-a", "tenant-b"].map((tenant) =>
        broker.connect("openai", tenant, { baseURL: baseURL("openai"), maxRetries: 0 }),
      ),
    );
    const started = Date.now();
    const reported = await load(10, 100, (caller, index) =>
      (connectors[caller % 2] ?? connectors[0])!.generateText(
        `caller ${caller} says ${"x".repeat(index % 17)}`,
      ),
    );
    expect(reported).toHaveLength(1000);
    for (const [at, tenantId] of ["tenant-a", "tenant-b"].entries()) {
      const expected = sum(reported.filter((item) => item.caller % 2 === at));
      expect(expected.input).toBeGreaterThan(0);
      const totals = await meter.totals({ tenantId });
      expect(totals).toMatchObject({
        calls: 500,
        inputTokens: expected.input,
        outputTokens: expected.output,
      });
      expect(await meter.totals({ tenantId, connectionId: "openai", provider: "openai" })).toEqual(totals);
    }
    const all = sum(reported);
    expect(await meter.totals({ since: started })).toMatchObject({
      calls: 1000,
      inputTokens: all.input,
      outputTokens: all.output,
    });
    expect((await meter.totals({ until: started })).calls).toBe(0);
    expect((await meter.totals({ since: new Date(Date.now() + 60_000) })).calls).toBe(0);
    expect((await meter.totals({ connectionId: "elsewhere" })).calls).toBe(0);
    await Promise.all(connectors.map((connector) => connector.cleanup()));
  });

  it.each(["anthropic", "gemini"] as const)("%s usage is read from its own fields", async (id) => {
    const meter = createUsageMeter();
    const broker = await brokerWith(meter, ["tenant-c"]);
    await using connector = await broker.connect(id, "tenant-c", { baseURL: baseURL(id), maxRetries: 0 });
    const reported = await load(3, 5, (caller, index) =>
      connector.generateText(`${id} ${caller}-${index}`, { maxTokens: 64 }),
    );
    const expected = sum(reported);
    expect(expected.output).toBeGreaterThan(0);
    expect(await meter.totals({ tenantId: "tenant-c", provider: id })).toMatchObject({
      calls: 15,
      inputTokens: expected.input,
      outputTokens: expected.output,
    });
  });
});

/** One streamed call through each SDK; returns the usage the SDK's events reported. */
const streamedCall = {
  openai: (connector: BrokeredConnector<ConnectorTypes["openai"]>, prompt: string) =>
    connector.call(async (client) => {
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: prompt }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage = { input: 0, output: 0 };
      for await (const chunk of stream) {
        if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
      }
      return usage;
    }),
  anthropic: (connector: BrokeredConnector<ConnectorTypes["anthropic"]>, prompt: string) =>
    connector.call(async (client) => {
      const stream = await client.messages.create({
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        messages: [{ role: "user", content: prompt }],
        stream: true,
      });
      const usage = { input: 0, output: 0 };
      for await (const event of stream) {
        if (event.type === "message_start") usage.input = event.message.usage.input_tokens;
        if (event.type === "message_delta") usage.output = event.usage.output_tokens;
      }
      return usage;
    }),
  gemini: (connector: BrokeredConnector<ConnectorTypes["gemini"]>, prompt: string) =>
    connector.call(async (client) => {
      const stream = await client.models.generateContentStream({
        model: "gemini-2.5-flash",
        contents: prompt,
      });
      let usage = { input: 0, output: 0 };
      for await (const chunk of stream) {
        const metadata = chunk.usageMetadata;
        if (metadata)
          usage = { input: metadata.promptTokenCount ?? 0, output: metadata.candidatesTokenCount ?? 0 };
      }
      return usage;
    }),
};

describe("streamed usage", () => {
  it.each(["openai", "anthropic", "gemini"] as const)(
    "%s: the usage a stream reports is recorded as it passes, exactly, not estimated",
    async (id) => {
      const store = new MemoryUsageStore();
      const meter = createUsageMeter({ store });
      const broker = await brokerWith(meter, ["tenant-s"]);
      await using connector = await broker.connect(id, "tenant-s", { baseURL: baseURL(id), maxRetries: 0 });
      const call = streamedCall[id] as (
        c: typeof connector,
        prompt: string,
      ) => Promise<{ input: number; output: number }>;
      const reported = (
        await Promise.all(
          Array.from({ length: 3 }, async (_, caller) => {
            const seen: Array<{ input: number; output: number }> = [];
            for (let index = 0; index < 5; index++)
              seen.push(await call(connector, `${id} ${caller} ${"z".repeat(index * 7)}`));
            return seen;
          }),
        )
      ).flat();
      const expected = sum(reported);
      expect(expected.input).toBeGreaterThan(0);
      expect(expected.output).toBeGreaterThan(0);
      expect(await meter.totals({ tenantId: "tenant-s", provider: id })).toMatchObject({
        calls: 15,
        inputTokens: expected.input,
        outputTokens: expected.output,
      });
      const records = store.records({ tenantId: "tenant-s" });
      expect(records.filter((record) => record.estimated)).toEqual([]);
    },
  );
});

describe("hard budgets", () => {
  /** 10 concurrent callers, each calling until the budget refuses it (at most 100 calls each). */
  const run = async (budgets: Budget[], prices?: PriceTable, most = 100) => {
    const store = new MemoryUsageStore();
    const meter = createUsageMeter({ store, budgets, ...(prices ? { prices } : {}) });
    const broker = await brokerWith(meter, ["tenant-d"]);
    await using connector = await broker.connect("openai", "tenant-d", {
      baseURL: baseURL("openai"),
      maxRetries: 0,
    });
    const before = servers.openai.requests.length;
    let refused = 0;
    let succeeded = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, caller) => {
        for (let index = 0; index < most; index++) {
          try {
            await connector.generateText(`budget ${caller}-${index}`, { maxTokens: 40 });
            succeeded++;
          } catch (error) {
            expect(BudgetExceededError.isInstance(error)).toBe(true);
            refused++;
            return;
          }
        }
      }),
    );
    // a refused call was never sent
    expect(servers.openai.requests.length - before).toBe(succeeded);
    return { totals: await meter.totals({ tenantId: "tenant-d" }), refused, succeeded, store };
  };

  it("in tokens: 10 concurrent callers calling until refused never take the total past the limit", async () => {
    const { totals, refused, succeeded } = await run([
      { name: "tokens-d", tenantId: "tenant-d", maxTokens: 3_000 },
    ]);
    expect(refused).toBe(10);
    // unchecked, the callers would have gone on to 1,000 calls (about 26,000 tokens)
    expect(succeeded).toBeGreaterThan(20);
    expect(totals.calls).toBe(succeeded);
    const used = totals.inputTokens + totals.outputTokens;
    expect(used).toBeLessThanOrEqual(3_000);
    // refused only when close: within one call's reservation (body bytes + 40) of the limit
    expect(used).toBeGreaterThan(3_000 - 200);
  });

  it("in money, through the operator's price table", async () => {
    const prices = { openai: { "gpt-4o-mini": { inputPerMillion: 1_500, outputPerMillion: 6_000 } } };
    const { totals, refused } = await run([{ name: "money-d", maxCost: 20, period: "day" }], prices);
    expect(refused).toBe(10);
    expect(totals.cost).toBeGreaterThan(0);
    expect(totals.cost).toBeLessThanOrEqual(20);
  });

  it("a money budget refuses a model the price table does not know (fail closed)", async () => {
    const { refused, succeeded } = await run([{ name: "money-e", maxCost: 1_000 }], { openai: {} });
    expect([refused, succeeded]).toEqual([10, 0]);
  });

  it("a budget of another tenant does not apply; usage already stored counts", async () => {
    const store = new MemoryUsageStore();
    await store.add({
      time: Date.now(),
      tenantId: "tenant-f",
      connectionId: "openai",
      provider: "openai",
      keySource: "tenant",
      inputTokens: 700,
      outputTokens: 0,
      credits: 0,
      cost: 0,
    });
    const meter = createUsageMeter({
      store,
      budgets: [
        { name: "f", tenantId: "tenant-f", maxTokens: 1_000 },
        { name: "other", tenantId: "someone-else", maxTokens: 0 },
      ],
    });
    const broker = await brokerWith(meter, ["tenant-f"]);
    await using connector = await broker.connect("openai", "tenant-f", { baseURL: baseURL("openai") });
    const error = await rejection(connector.generateText("would cross", { maxTokens: 400 }));
    expect(error).toMatchObject({ code: "budget_exceeded", budget: "f" });
    expect((await connector.generateText("fits", { maxTokens: 10 })).keySource).toBe("tenant");
  });
});

describePostgres("PostgreSQL usage store", () => {
  const schema = uniqueIdentifier("usage");
  const admin = adminPool();
  let store: UsageStore & { close(): Promise<void>; schemaSql(): string };
  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    store = postgresUsageStore({ connectionString: POSTGRES_URL, schema, env: {} });
  });
  afterAll(async () => {
    await store.close();
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("records brokered calls and sums them by tenant, connection and period", async () => {
    const meter = createUsageMeter({
      store,
      budgets: [{ name: "pg", tenantId: "tenant-p", maxTokens: 1_000_000 }],
    });
    const broker = await brokerWith(meter, ["tenant-p", "tenant-q"]);
    const connectors = await Promise.all(
      ["tenant-p", "tenant-q"].map((tenant) =>
        broker.connect("openai", tenant, { baseURL: baseURL("openai") }),
      ),
    );
    const started = Date.now();
    const reported = await load(10, 10, (caller, index) =>
      (connectors[caller % 2] ?? connectors[0])!.generateText(`pg ${caller} ${"y".repeat(index)}`),
    );
    const expected = sum(reported.filter((item) => item.caller % 2 === 0));
    expect(await store.totals({ tenantId: "tenant-p", connectionId: "openai" })).toMatchObject({
      calls: 50,
      inputTokens: expected.input,
      outputTokens: expected.output,
    });
    expect((await store.totals({ since: started })).calls).toBe(100);
    expect((await store.totals({ until: started })).calls).toBe(0);
    expect((await store.totals({ keySource: "platform" })).calls).toBe(0);
    expect(store.schemaSql()).toContain("CREATE TABLE IF NOT EXISTS");
    await Promise.all(connectors.map((connector) => connector.cleanup()));
  });
});
