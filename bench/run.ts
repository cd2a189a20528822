/**
 * `npm run bench`: builds, then measures credkit against floors measured in the same run, and writes
 * bench/results.json. Ratios, not wall-clock limits: the machine's speed cancels out.
 *
 * 1. Cache-hit getCredentials vs a bare Map.get (same async calling convention).   target ≤ 5×
 * 2. Uncached memory-backend getCredentials vs a raw node:crypto AES-256-GCM decrypt. target ≤ 3×
 * 3. 1,000 concurrent cold reads of one key → backend reads.                         target = 1
 * 4. Cache-hit getCredentials vs @aws-lambda-powertools/parameters cached getSecret. aim: faster
 * 5. File backend writes/s and uncached reads/s.
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Backend } from "../src/index.js";

/**
 * credkit as users run it: the built package in dist/ (`npm run bench` builds first), typed by
 * the sources. The sources run through tsx would carry its transform's overhead.
 */
const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { CredentialManager, LocalKeyring } = (await import(
  built("index.js")
)) as typeof import("../src/index.js");
const { memoryBackend } = (await import(
  built("backends/memory/index.js")
)) as typeof import("../src/backends/memory/index.js");
const { fileBackend } = (await import(
  built("backends/file/index.js")
)) as typeof import("../src/backends/file/index.js");

const ROUNDS = 7;
const key = new LocalKeyring(randomBytes(32));
const apiKey = `sk-bench-${randomBytes(24).toString("hex")}`;

/**
 * Median nanoseconds per operation of `floor` and `subject`, measured in alternating rounds of
 * `iterations` so that drift in the machine's speed affects both alike.
 */
async function compare(
  iterations: number,
  floor: () => unknown,
  subject: () => unknown,
): Promise<{ floorNs: number; subjectNs: number }> {
  const run = async (operation: () => unknown) => {
    const start = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) await operation();
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  await run(floor);
  await run(subject);
  const floors: number[] = [];
  const subjects: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    floors.push(await run(floor));
    subjects.push(await run(subject));
  }
  const median = (samples: number[]) =>
    samples.sort((x, y) => x - y)[Math.floor(samples.length / 2)] as number;
  return { floorNs: median(floors), subjectNs: median(subjects) };
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

async function cacheHit() {
  const manager = new CredentialManager({ backend: memoryBackend(), encryption: key });
  await manager.storeCredentials("openai", "tenant-1", { apiKey });
  await manager.getCredentials("openai", "tenant-1");
  const map = new Map([["tenant-1/openai", { apiKey }]]);
  const bareGet = async () => map.get("tenant-1/openai");
  const { floorNs, subjectNs } = await compare(200_000, bareGet, () =>
    manager.getCredentials("openai", "tenant-1"),
  );
  return { manager, floorNs, credkitNs: subjectNs };
}

async function uncachedRead() {
  const manager = new CredentialManager({ backend: memoryBackend(), encryption: key, cache: false });
  await manager.storeCredentials("openai", "tenant-1", { apiKey });
  const dataKey = randomBytes(32);
  const nonce = randomBytes(12);
  const plaintext = JSON.stringify({ apiKey });
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  const rawDecrypt = async () => {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, nonce);
    decipher.setAuthTag(tag);
    return decipher.update(body, undefined, "utf8") + decipher.final("utf8");
  };
  const { floorNs, subjectNs } = await compare(20_000, rawDecrypt, () =>
    manager.getCredentials("openai", "tenant-1"),
  );
  return { floorNs, credkitNs: subjectNs };
}

async function coldReads() {
  const inner = memoryBackend();
  let reads = 0;
  const backend: Backend = {
    ...inner,
    async get(backendKey, options) {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 2));
      return inner.get(backendKey, options);
    },
  };
  const manager = new CredentialManager({ backend, encryption: key });
  await manager.storeCredentials("openai", "tenant-1", { apiKey });
  reads = 0;
  await Promise.all(Array.from({ length: 1000 }, () => manager.getCredentials("openai", "tenant-1")));
  return { concurrentReads: 1000, backendReads: reads };
}

async function powertools(credkit: InstanceType<typeof CredentialManager>) {
  const client = new SecretsManagerClient({
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  // why: answer GetSecretValue in process so the benchmark never touches a network.
  client.middlewareStack.add(
    () => async () => ({ output: { SecretString: apiKey, $metadata: {} }, response: {} }),
    { step: "initialize", name: "benchAnswer" },
  );
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  await provider.get("tenant-1/openai", { maxAge: 3600 });
  const { floorNs, subjectNs } = await compare(
    200_000,
    () => provider.get("tenant-1/openai", { maxAge: 3600 }),
    () => credkit.getCredentials("openai", "tenant-1"),
  );
  return { powertoolsNs: floorNs, credkitNs: subjectNs };
}

async function fileStore() {
  const directory = await mkdtemp(join(tmpdir(), "credkit-bench-"));
  const manager = new CredentialManager({
    backend: fileBackend({ directory }),
    encryption: key,
    cache: false,
  });
  const writes = 300;
  let start = process.hrtime.bigint();
  for (let index = 0; index < writes; index++) {
    await manager.storeCredentials(`conn-${index % 30}`, "tenant-1", { apiKey: `${apiKey}-${index}` });
  }
  const writeSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const reads = 3000;
  start = process.hrtime.bigint();
  for (let index = 0; index < reads; index++) await manager.getCredentials(`conn-${index % 30}`, "tenant-1");
  const readSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await rm(directory, { recursive: true, force: true });
  return {
    writesPerSecond: Math.round(writes / writeSeconds),
    readsPerSecond: Math.round(reads / readSeconds),
  };
}

/**
 * Each scenario runs in a fresh process, so one scenario's objects and JIT state cannot slow
 * another's: `bench/run.ts <scenario>` prints that scenario's JSON.
 */
const scenarios = {
  cacheHit: async () => {
    const { floorNs, credkitNs } = await cacheHit();
    return {
      bareMapGetNs: round(floorNs),
      getCredentialsNs: round(credkitNs),
      ratio: round(credkitNs / floorNs),
      target: "<= 5",
    };
  },
  uncachedMemoryRead: async () => {
    const { floorNs, credkitNs } = await uncachedRead();
    return {
      rawAesGcmDecryptNs: round(floorNs),
      getCredentialsNs: round(credkitNs),
      ratio: round(credkitNs / floorNs),
      target: "<= 3",
    };
  },
  coldConcurrentReads: async () => ({ ...(await coldReads()), target: "backendReads = 1" }),
  versusPowertools: async () => {
    const { manager } = await cacheHit();
    const { powertoolsNs, credkitNs } = await powertools(manager);
    return {
      powertoolsCachedGetSecretNs: round(powertoolsNs),
      credkitCacheHitNs: round(credkitNs),
      speedup: round(powertoolsNs / credkitNs),
      target: "speedup > 1",
    };
  },
  fileBackend: fileStore,
} as const;

const requested = process.argv[2] as keyof typeof scenarios | undefined;
if (requested) {
  process.stdout.write(`${JSON.stringify(await scenarios[requested]())}\n`);
} else {
  const results: Record<string, unknown> = { node: process.version, measuredAt: new Date().toISOString() };
  for (const name of Object.keys(scenarios)) {
    const output = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), name], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    results[name] = JSON.parse(output.trim().split("\n").at(-1) as string);
  }
  await writeFile(new URL("./results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}
