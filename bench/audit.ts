/**
 * The PostgreSQL audit sink in `npm run bench`: what it adds to a cache hit. Two managers over the
 * same store, one with the default in-memory ring only, one also feeding `postgresAuditSink`
 * (real PostgreSQL on 127.0.0.1:5432). Alternating pairs of rounds of cache hits, each timed in
 * process CPU (all threads, the garbage collector's included), so time the machine gives to other
 * processes is not counted against either side; the verdict is the median of the pairs' ratios, so a burst of load on the shared machine skews one pair, not
 * the result. The sink's inserts run on the event loop's next turn, never inside a read: in the
 * bench, between rounds, outside the timed loop. Also printed, so nothing is hidden: the client
 * CPU a flush spends per event, and the ratio with that CPU added to each audited hit.
 *
 * 1. Cache hit with the PostgreSQL sink vs without.                          target ≤ 1.1×
 */
import { randomBytes } from "node:crypto";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { CredentialManager, LocalKeyring } = (await import(
  built("index.js")
)) as typeof import("../src/index.js");
const { memoryBackend } = (await import(
  built("backends/memory/index.js")
)) as typeof import("../src/backends/memory/index.js");
const ops = (await import(built("ops/index.js"))) as typeof import("../src/ops/index.js");

const POSTGRES_URL = process.env.CREDKIT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ROUNDS = 31;
const HITS = 20_000;

/** The cache-hit overhead of the PostgreSQL audit sink. */
export async function auditBench(): Promise<Measurement[]> {
  const schema = `credkit_bench_audit_${randomBytes(4).toString("hex")}`;
  const sink = ops.postgresAuditSink({ connectionString: POSTGRES_URL, schema, maxQueue: HITS * 2 });
  const backend = memoryBackend();
  const encryption = new LocalKeyring(randomBytes(32));
  const plain = new CredentialManager({ backend, encryption });
  const audited = new CredentialManager({ backend, encryption, audit: { sinks: [sink.sink] } });
  await plain.storeCredentials("openai", "tenant-1", {
    apiKey: `sk-bench-${randomBytes(16).toString("hex")}`,
  });
  const hits = async (manager: InstanceType<typeof CredentialManager>) => {
    const start = process.cpuUsage();
    for (let index = 0; index < HITS; index++) await manager.getCredentials("openai", "tenant-1");
    const spent = process.cpuUsage(start);
    return ((spent.user + spent.system) * 1000) / HITS;
  };
  const plainNs: number[] = [];
  const auditedNs: number[] = [];
  const ratios: number[] = [];
  let flushCpuUs = 0;
  try {
    await hits(plain);
    await hits(audited);
    await sink.flush();
    for (let round = 0; round < ROUNDS; round++) {
      plainNs.push(await hits(plain));
      auditedNs.push(await hits(audited));
      ratios.push((auditedNs[round] as number) / (plainNs[round] as number));
      const cpu = process.cpuUsage();
      await sink.flush();
      const spent = process.cpuUsage(cpu);
      flushCpuUs += spent.user + spent.system;
    }
  } finally {
    await sink.close();
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  const median = (samples: number[]) =>
    [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
  const [withoutNs, withNs] = [median(plainNs), median(auditedNs)];
  const flushNsPerEvent = (flushCpuUs * 1000) / (ROUNDS * HITS);
  return [
    measurement(
      "cache hit with the PostgreSQL audit sink / without",
      median(ratios),
      "×",
      { atMost: 1.1 },
      {
        withoutSinkNs: roundTo(withoutNs),
        withSinkNs: roundTo(withNs),
        flushClientCpuNsPerEvent: roundTo(flushNsPerEvent),
        withFlushCpuRatio: roundTo((withNs + flushNsPerEvent) / withoutNs),
        eventsWritten: sink.stats().written,
      },
    ),
  ];
}
