/**
 * Brokered overhead: a brokered OpenAI `generateText` (key read from the manager's cache at send
 * time, host check, audit event, usage metered from the response into the memory store) against
 * the bare `openai` SDK call with the key in the client, both to the same loopback OpenAI
 * stand-in, in alternating rounds of one run. Target: ≤ 1.1× the bare call.
 *
 *   npm run build && tsx bench/run.ts brokered
 */
import { randomBytes } from "node:crypto";
import OpenAI from "openai";
import { startOpenAIServer } from "../test/servers/providers/openai.js";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const ITERATIONS = 300;
const ROUNDS = 7;

/**
 * Median over rounds of ns per call of `bare` and `brokered`. Within a round the two alternate
 * call by call, so a change in the machine's load hits both alike; CPU time is kept beside.
 */
async function alternate(bare: () => Promise<unknown>, brokered: () => Promise<unknown>) {
  const time = async (operation: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await operation();
    return Number(process.hrtime.bigint() - start);
  };
  for (let index = 0; index < ITERATIONS; index++) {
    await bare();
    await brokered();
  }
  const rounds: Array<{ bareNs: number; brokeredNs: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    let bareNs = 0;
    let brokeredNs = 0;
    for (let index = 0; index < ITERATIONS; index++) {
      bareNs += await time(bare);
      brokeredNs += await time(brokered);
    }
    rounds.push({ bareNs: bareNs / ITERATIONS, brokeredNs: brokeredNs / ITERATIONS });
  }
  rounds.sort((x, y) => x.brokeredNs / x.bareNs - y.brokeredNs / y.bareNs);
  return rounds[Math.floor(rounds.length / 2)] as { bareNs: number; brokeredNs: number };
}

/** The measurement: brokered generateText ns / bare SDK call ns. */
export async function brokeredBench(): Promise<Measurement[]> {
  const { CredentialManager, LocalKeyring } = (await import(
    built("index.js")
  )) as typeof import("../src/index.js");
  const { memoryBackend } = (await import(
    built("backends/memory/index.js")
  )) as typeof import("../src/backends/memory/index.js");
  const { createBroker, createUsageMeter } = (await import(
    built("brokered/index.js")
  )) as typeof import("../src/connectors/brokered/index.js");
  const apiKey = `sk-bench${randomBytes(20).toString("hex")}`;
  const server = await startOpenAIServer({ apiKey });
  const baseURL = `${server.url}/v1`;
  try {
    const credentials = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: new LocalKeyring(randomBytes(32)),
    });
    await credentials.storeCredentials("openai", "tenant-1", { apiKey });
    const broker = createBroker({ credentials, meter: createUsageMeter() });
    await using connector = await broker.connect("openai", "tenant-1", { baseURL, maxRetries: 0 });
    const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, organization: null, project: null });
    const messages = [{ role: "user" as const, content: "Hello!" }];
    const { bareNs, brokeredNs } = await alternate(
      () => client.chat.completions.create({ model: "gpt-4o-mini", messages }),
      () => connector.generateText("Hello!"),
    );
    return [
      measurement(
        "brokered generateText / bare openai SDK call (same loopback server)",
        brokeredNs / bareNs,
        "×",
        { atMost: 1.1 },
        {
          bareSdkCallUs: roundTo(bareNs / 1000),
          brokeredGenerateTextUs: roundTo(brokeredNs / 1000),
        },
      ),
    ];
  } finally {
    server.requests.length = 0;
    await server.close();
  }
}
