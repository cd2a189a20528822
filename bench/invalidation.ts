/**
 * Fleet invalidation in `npm run bench`: how long after a rotation by one replica another replica
 * serves the new value, against the real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
 * Two managers with their own connections; the reader reads in a loop (cache hits) and the lag is
 * the time from the writer's rotate() resolving to the reader's first read of the new version.
 *
 * 1. p50 / p99 lag over PostgreSQL LISTEN/NOTIFY.                         target p99 ≤ 1000 ms
 * 2. p50 / p99 lag over Redis pub/sub.                                    target p99 ≤ 1000 ms
 * 3. p50 / p99 lag with version polling (intervalMs 500) over PostgreSQL. target p99 ≤ 1000 ms
 * 4. p50 / p99 lag with the cache TTL alone (the default 5000 ms).        target p99 ≤ 5000 ms
 */
import { randomBytes } from "node:crypto";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { CredentialManager, LocalKeyring } = (await import(
  built("index.js")
)) as typeof import("../src/index.js");
const { postgresBackend } = (await import(
  built("backends/postgres/index.js")
)) as typeof import("../src/backends/postgres/index.js");
const ops = (await import(built("ops/index.js"))) as typeof import("../src/ops/index.js");

type Manager = InstanceType<typeof CredentialManager>;

const POSTGRES_URL = process.env.CREDKIT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.CREDKIT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const DEFAULT_TTL_MS = 5000;
const SCHEMA = `credkit_bench_${randomBytes(4).toString("hex")}`;
const key = randomBytes(32);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function manager(ttlMs: number): Manager {
  return new CredentialManager({
    backend: postgresBackend({ connectionString: POSTGRES_URL, schema: SCHEMA }),
    encryption: new LocalKeyring(key),
    cache: { ttlMs },
  });
}

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

/**
 * Lag samples: each round rotates the credential at a random moment after the reader cached it
 * and times the reader's first read of the new version (reads 1 ms apart).
 */
async function lagSamples(
  writer: Manager,
  reader: Manager,
  samples: number,
  spreadMs: number,
): Promise<number[]> {
  const tenant = `bench-${randomBytes(4).toString("hex")}`;
  let version = (await writer.storeCredentials("conn", tenant, { apiKey: "sk-bench-0000000000" })).version;
  const lags: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    await sleep(50); // lets the store's own message arrive before the reader caches
    await reader.getCredentials("conn", tenant);
    await sleep(Math.random() * spreadMs);
    version = (await writer.rotateCredentials("conn", tenant, { apiKey: `sk-bench-${sample}-rotated-xx` }))
      .version;
    const rotatedAt = performance.now();
    for (;;) {
      const [result] = await reader.getManyCredentials([{ connectionId: "conn", userId: tenant }]);
      if (result?.ok && result.version === version) break;
      await sleep(1);
    }
    lags.push(performance.now() - rotatedAt);
  }
  return lags;
}

function lagMeasurements(label: string, lags: number[], boundMs: number): Measurement[] {
  const details = { samples: lags.length, maxMs: roundTo(Math.max(...lags)) };
  return [
    measurement(
      `${label}: p50 lag after a rotation`,
      percentile(lags, 0.5),
      " ms",
      { atMost: boundMs },
      details,
    ),
    measurement(
      `${label}: p99 lag after a rotation`,
      percentile(lags, 0.99),
      " ms",
      { atMost: boundMs },
      details,
    ),
  ];
}

/** Every scenario's measurements; the tables are dropped afterwards. */
export async function invalidationBench(): Promise<Measurement[]> {
  const managers: Manager[] = [];
  const open = (ttlMs = 600_000) => {
    const created = manager(ttlMs);
    managers.push(created);
    return created;
  };
  const closers: Array<{ close(): Promise<void> }> = [];
  try {
    const results: Measurement[] = [];
    for (const [label, transport] of [
      ["PostgreSQL LISTEN/NOTIFY", () => ops.postgresInvalidation({ connectionString: POSTGRES_URL })],
      ["Redis pub/sub", () => ops.redisInvalidation({ url: REDIS_URL })],
    ] as const) {
      const [writer, reader] = [open(), open()];
      closers.push(
        await ops.fleetInvalidation(writer, transport()),
        await ops.fleetInvalidation(reader, transport()),
      );
      results.push(...lagMeasurements(label, await lagSamples(writer, reader, 200, 20), 1000));
    }
    const [writer, reader] = [open(), open()];
    closers.push(ops.versionPolling(reader, { intervalMs: 500 }));
    results.push(
      ...lagMeasurements("version polling (500 ms)", await lagSamples(writer, reader, 20, 500), 1000),
    );
    const ttlOnly = await lagSamples(open(), open(DEFAULT_TTL_MS), 6, DEFAULT_TTL_MS);
    results.push(...lagMeasurements(`cache TTL alone (${DEFAULT_TTL_MS} ms)`, ttlOnly, DEFAULT_TTL_MS));
    return results;
  } finally {
    for (const closer of closers) await closer.close();
    for (const created of managers) await created.close();
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  }
}
