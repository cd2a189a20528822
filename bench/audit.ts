/**
 * The PostgreSQL audit sink in `npm run bench`: what it adds to a cache hit, and that it loses no
 * event. Three managers over the same store: two with the default in-memory ring only (the
 * floor, and a twin of it that measures the method's own spread), one also feeding
 * `postgresAuditSink` (real PostgreSQL on 127.0.0.1:5432).
 *
 * The load: 10,000 reads per second from 4 concurrent callers. Every 10 ms tick the 4
 * callers each make 25 cache hits at once (100 per tick); the process CPU (all threads, the
 * garbage collector's included) of each tick's reads is summed, less what the empty measurement
 * itself costs: CPU per read on the read path, not latency. Between ticks the event loop is free,
 * and that is where the sink's batched inserts run, off the read path, as in a service. Each round
 * runs the three managers for 20 ticks each, in an order rotated every round, so each takes every
 * place equally often and none always follows the sink's inserts. The verdict is the median over
 * rounds of (with sink / without), "without" being the mean of the two managers without the sink;
 * the median of their own ratio (an A/A figure) and the interquartile range of the verdict's
 * rounds are printed beside it: a verdict closer to the target than that spread is within the
 * noise. After the last round the sink is flushed and the
 * rows in PostgreSQL are counted against the reads made: the lost events must be 0.
 *
 * Also printed, so nothing is hidden: the process CPU per read over whole paced rounds (inserts,
 * timers and idle collection included) with and without the sink, the old back-to-back figure
 * (20,000 hits in a row per round, the inserts left for between rounds), and the client CPU a
 * flush spends per event.
 *
 * 1. Paced cache hit with the PostgreSQL sink vs without.                    target ≤ 1.1×
 * 2. Audit events lost: reads made − rows in PostgreSQL after the flush.       target = 0
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

type Manager = InstanceType<typeof CredentialManager>;

const POSTGRES_URL = process.env.CREDKIT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const CALLERS = 4;
const TICK_MS = 10;
/** 4 callers × 25 reads every 10 ms: 10,000 reads per second. */
const READS_PER_CALLER = 25;
const TICKS_PER_ROUND = 20;
/** Rounds of the three managers: a multiple of 3, so each takes every place in the order equally often. */
const PACED_ROUNDS = 60;
const BACK_TO_BACK_ROUNDS = 11;
const BACK_TO_BACK_HITS = 20_000;

const cpuNs = (start: NodeJS.CpuUsage) => {
  const spent = process.cpuUsage(start);
  return (spent.user + spent.system) * 1000;
};
/** The value below which `fraction` of the samples lie (nearest rank). */
const quantile = (samples: number[], fraction: number) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length * fraction)] as number;
const median = (samples: number[]) => quantile(samples, 0.5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What an empty measured window costs (two `process.cpuUsage` calls and an await), ns. */
async function windowCostNs(): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < 2000; index++) {
    const start = process.cpuUsage();
    await Promise.all([]);
    samples.push(cpuNs(start));
  }
  return median(samples);
}

/** One caller's share of a tick: its reads, one after the other. */
async function caller(manager: Manager): Promise<void> {
  for (let index = 0; index < READS_PER_CALLER; index++) await manager.getCredentials("openai", "tenant-1");
}

/** A paced round: CPU ns per read inside the ticks' reads, and over the whole round. */
async function pacedRound(
  manager: Manager,
  windowNs: number,
): Promise<{ readNs: number; processNs: number }> {
  const reads = TICKS_PER_ROUND * CALLERS * READS_PER_CALLER;
  const round = process.cpuUsage();
  const begin = performance.now();
  let inReads = 0;
  for (let tick = 0; tick < TICKS_PER_ROUND; tick++) {
    const start = process.cpuUsage();
    await Promise.all(Array.from({ length: CALLERS }, () => caller(manager)));
    inReads += Math.max(0, cpuNs(start) - windowNs);
    await sleep(begin + (tick + 1) * TICK_MS - performance.now());
  }
  return { readNs: inReads / reads, processNs: cpuNs(round) / reads };
}

/** The old measure: hits in a row, CPU ns per hit. */
async function backToBack(manager: Manager): Promise<number> {
  const start = process.cpuUsage();
  for (let index = 0; index < BACK_TO_BACK_HITS; index++) await manager.getCredentials("openai", "tenant-1");
  return cpuNs(start) / BACK_TO_BACK_HITS;
}

/** Rows the sink wrote to its schema. */
async function rowsIn(schema: string): Promise<number> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const result = await client.query(`SELECT count(*)::int AS rows FROM "${schema}".credkit_audit`);
    return result.rows[0].rows as number;
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

/** The cache-hit overhead of the PostgreSQL audit sink, and the events it lost. */
export async function auditBench(): Promise<Measurement[]> {
  const schema = `credkit_bench_audit_${randomBytes(4).toString("hex")}`;
  const sink = ops.postgresAuditSink({
    connectionString: POSTGRES_URL,
    schema,
    maxQueue: BACK_TO_BACK_HITS * 2,
  });
  const backend = memoryBackend();
  const encryption = new LocalKeyring(randomBytes(32));
  const plain = new CredentialManager({ backend, encryption });
  const audited = new CredentialManager({ backend, encryption, audit: { sinks: [sink.sink] } });
  const twin = new CredentialManager({ backend, encryption });
  await plain.storeCredentials("openai", "tenant-1", {
    apiKey: `sk-bench-${randomBytes(16).toString("hex")}`,
  });
  const paced = {
    plainRead: [] as number[],
    auditedRead: [] as number[],
    ratios: [] as number[],
    twinRatios: [] as number[],
  };
  const processRatios: number[] = [];
  const oldRatios: number[] = [];
  let flushCpuNs = 0;
  let rows: number;
  try {
    await backToBack(plain);
    await backToBack(audited);
    await backToBack(twin);
    await sink.flush();
    for (let round = 0; round < BACK_TO_BACK_ROUNDS; round++) {
      // why: alternate which goes first, so neither always runs right after the other's work.
      const without = round % 2 === 0 ? await backToBack(plain) : undefined;
      const withSink = await backToBack(audited);
      oldRatios.push(withSink / (without ?? (await backToBack(plain))));
      const cpu = process.cpuUsage();
      await sink.flush();
      flushCpuNs += cpuNs(cpu);
    }
    const windowNs = await windowCostNs();
    const managers = [plain, audited, twin];
    for (let round = 0; round < PACED_ROUNDS; round++) {
      const measured = new Map<Manager, { readNs: number; processNs: number }>();
      for (let place = 0; place < managers.length; place++) {
        const manager = managers[(round + place) % managers.length] as Manager;
        measured.set(manager, await pacedRound(manager, windowNs));
      }
      const first = measured.get(plain) as { readNs: number; processNs: number };
      const second = measured.get(twin) as { readNs: number; processNs: number };
      const withSink = measured.get(audited) as { readNs: number; processNs: number };
      // why: the floor is the mean of the two managers without the sink, halving its noise.
      const withoutNs = (first.readNs + second.readNs) / 2;
      paced.plainRead.push(withoutNs);
      paced.auditedRead.push(withSink.readNs);
      paced.ratios.push(withSink.readNs / withoutNs);
      paced.twinRatios.push(second.readNs / first.readNs);
      processRatios.push((2 * withSink.processNs) / (first.processNs + second.processNs));
    }
    await sink.flush();
    rows = await rowsIn(schema);
  } finally {
    await sink.close();
    await dropSchema(schema);
  }
  const reads =
    (BACK_TO_BACK_ROUNDS + 1) * BACK_TO_BACK_HITS +
    PACED_ROUNDS * TICKS_PER_ROUND * CALLERS * READS_PER_CALLER;
  return [
    measurement(
      "paced cache hit (10,000/s, 4 callers) with the PostgreSQL audit sink / without",
      median(paced.ratios),
      "×",
      { atMost: 1.1 },
      {
        withoutSinkNs: roundTo(median(paced.plainRead)),
        withSinkNs: roundTo(median(paced.auditedRead)),
        ratioInterquartileRange: `${roundTo(quantile(paced.ratios, 0.25))}–${roundTo(quantile(paced.ratios, 0.75))}`,
        withoutVersusWithoutRatio: roundTo(median(paced.twinRatios)),
        wholeRoundProcessCpuRatio: roundTo(median(processRatios)),
        backToBackRatio: roundTo(median(oldRatios)),
        flushClientCpuNsPerEvent: roundTo(flushCpuNs / (BACK_TO_BACK_ROUNDS * BACK_TO_BACK_HITS)),
      },
    ),
    measurement(
      "audit events lost (reads − rows in PostgreSQL after flush)",
      reads - rows,
      " events",
      { equals: 0 },
      {
        reads,
        rows,
        dropped: sink.stats().dropped,
      },
    ),
  ];
}
