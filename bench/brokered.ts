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
import { alternate } from "./compare.js";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const ITERATIONS = 300;
const ROUNDS = 7;

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
    const { floorNs: bareNs, subjectNs: brokeredNs } = await alternate(
      () => client.chat.completions.create({ model: "gpt-4o-mini", messages }),
      () => connector.generateText("Hello!"),
      ITERATIONS,
      ROUNDS,
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
