/**
 * The PostgreSQL audit sink in `npm run bench`: what it adds to a cache hit. Two managers over the
 * same store, one with the default in-memory ring only, one also feeding `postgresAuditSink`
 * (real PostgreSQL on 127.0.0.1:5432). Alternating rounds of cache hits; between rounds the sink
 * is flushed (its inserts happen off the read path, outside the timed loop). Also printed: the
 * client CPU a flush spends per event, so nothing is hidden.
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
const ROUNDS = 9;
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
    const start = process.hrtime.bigint();
    for (let index = 0; index < HITS; index++) await manager.getCredentials("openai", "tenant-1");
    return Number(process.hrtime.bigint() - start) / HITS;
  };
  const plainNs: number[] = [];
  const auditedNs: number[] = [];
  let flushCpuUs = 0;
  try {
    await hits(plain);
    await hits(audited);
    await sink.flush();
    for (let round = 0; round < ROUNDS; round++) {
      plainNs.push(await hits(plain));
      auditedNs.push(await hits(audited));
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
  return [
    measurement(
      "cache hit with the PostgreSQL audit sink / without",
      withNs / withoutNs,
      "×",
      { atMost: 1.1 },
      {
        withoutSinkNs: roundTo(withoutNs),
        withSinkNs: roundTo(withNs),
        flushClientCpuNsPerEvent: roundTo((flushCpuUs * 1000) / (ROUNDS * HITS)),
        eventsWritten: sink.stats().written,
      },
    ),
  ];
}
