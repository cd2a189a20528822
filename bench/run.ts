/**
 * `npm run bench`: builds, then measures credkit against floors measured in the same run, and writes
 * bench/results.json. Ratios, not wall-clock limits: the machine's speed cancels out. Every
 * measurement is printed with its target and verdict; a missed target makes the exit code 1.
 *
 * 1. Cache-hit getCredentials vs a bare Map.get (same async calling convention).   target ≤ 5×
 * 2. Uncached memory-backend getCredentials vs a raw node:crypto AES-256-GCM decrypt. target ≤ 3×
 * 3. 1,000 concurrent cold reads of one key → backend reads.                         target = 1
 * 4. Cache-hit getCredentials vs @aws-lambda-powertools/parameters cached getSecret. target ≥ 1× faster
 * 5. File backend write vs a raw crash-safe write of the same bytes (temp, fsync, rename,
 *    folder fsync); the ratio to a bare fsynced write is printed beside it.          target ≤ 3×
 *    File backend uncached read vs a raw readFile of the same bytes.                 target ≤ 4×
 * 6. KMS key providers (bench/kms.ts): unwrap calls for uncached reads, read cost vs the local key.
 * 7. Fleet invalidation (bench/invalidation.ts): p50/p99 lag per adapter and with the TTL alone.
 * 8. Brokered generateText vs the bare openai SDK call to one loopback server (bench/brokered.ts). target ≤ 1.1×
 * 9. PostgreSQL audit sink (bench/audit.ts): what it adds to a cache hit paced at 10,000/s from
 *    4 callers (target ≤ 1.1×), and events lost: reads − rows in PostgreSQL (target = 0).
 * 10. OAuth (bench/oauth.ts): token calls for 1,000 concurrent getAccessToken on an expired
 *     token (target = 1); a valid-token lookup vs a cache hit of getCredentials (target ≤ 3×).
 * 11. Remote stores (bench/remote.ts): uncached getCredentials vs a bare SDK read of the same
 *     record on the same loopback server in its own process (AWS, Vault, GCP, Azure, Cloudflare
 *     REST, PostgreSQL), median of per-pair ratios.                                    target ≤ 1.15×
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtemp, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Backend } from "../src/kit/index.js";
import { compare } from "./compare.js";
import { environment, type Measurement, measurement, report, roundTo } from "./verdict.js";

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

const key = new LocalKeyring(randomBytes(32));
const apiKey = `sk-bench-${randomBytes(24).toString("hex")}`;

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

/**
 * The file store's floors, for a file the size of one stored version: a plain read, and two
 * writes. `durableWrite` is the crash-safe write a careful program does by hand: a temporary
 * file written and fsynced, renamed to its name, and the folder fsynced (without that last step
 * a crash can lose the new name, POSIX). The store gives the same guarantee (and reads the
 * current version first, for its compare-and-set). `fsyncedWrite` (a new file written and
 * fsynced, its name not made durable) is printed beside it, for comparison with earlier runs.
 */
async function rawFileFloor(directory: string, content: string) {
  let counter = 0;
  const createSynced = async (path: string) => {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  const fsyncedWrite = () => createSynced(join(directory, `raw-${counter++}`));
  const durableWrite = async () => {
    const name = `raw-${counter++}`;
    await createSynced(join(directory, `${name}.tmp`));
    await rename(join(directory, `${name}.tmp`), join(directory, name));
    const folder = await open(directory, "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  };
  await fsyncedWrite();
  const read = () => readFile(join(directory, "raw-0"), "utf8");
  return { fsyncedWrite, durableWrite, read };
}

async function fileStore(): Promise<Measurement[]> {
  const directory = await mkdtemp(join(tmpdir(), "credkit-bench-"));
  const manager = new CredentialManager({
    backend: fileBackend({ directory: join(directory, "store") }),
    encryption: key,
    cache: false,
  });
  await manager.storeCredentials("conn-0", "tenant-1", { apiKey });
  const stored = await readFile(
    join(directory, "store", "records", ...(await firstVersionPath(join(directory, "store", "records")))),
    "utf8",
  );
  const floor = await rawFileFloor(directory, stored);
  let written = 0;
  const storeWrite = () => manager.storeCredentials(`conn-${written++ % 30}`, "tenant-1", { apiKey });
  const writes = await compare(100, floor.durableWrite, storeWrite, 7);
  const fsyncOnly = await compare(100, floor.fsyncedWrite, storeWrite, 7);
  const reads = await compare(2_000, floor.read, () => manager.getCredentials("conn-0", "tenant-1"), 5);
  await rm(directory, { recursive: true, force: true });
  return [
    measurement(
      "file store write / raw crash-safe file write (temp, fsync, rename, folder fsync)",
      writes.subjectNs / writes.floorNs,
      "×",
      {
        atMost: 3,
      },
      {
        rawWritesPerSecond: Math.round(1e9 / writes.floorNs),
        writesPerSecond: Math.round(1e9 / writes.subjectNs),
        versusFsyncOnlyWrite: roundTo(fsyncOnly.subjectNs / fsyncOnly.floorNs),
      },
    ),
    measurement(
      "file store uncached read / raw file read",
      reads.subjectNs / reads.floorNs,
      "×",
      {
        atMost: 4,
      },
      {
        rawReadsPerSecond: Math.round(1e9 / reads.floorNs),
        readsPerSecond: Math.round(1e9 / reads.subjectNs),
      },
    ),
  ];
}

/** The path (below `records`) of the one version file the store holds. */
async function firstVersionPath(records: string): Promise<string[]> {
  const [tenant] = await readdir(records);
  const [name] = await readdir(join(records, tenant as string));
  const [version] = (await readdir(join(records, tenant as string, name as string))).filter((entry) =>
    entry.endsWith(".json"),
  );
  return [tenant as string, name as string, version as string];
}

/**
 * Each scenario runs in a fresh process, so one scenario's objects and JIT state cannot slow
 * another's: `bench/run.ts <scenario>` prints that scenario's measurements as JSON.
 */
const scenarios: Record<string, () => Promise<Measurement[]>> = {
  cacheHit: async () => {
    const { floorNs, credkitNs } = await cacheHit();
    return [
      measurement(
        "cache-hit getCredentials / bare Map.get",
        credkitNs / floorNs,
        "×",
        { atMost: 5 },
        {
          bareMapGetNs: roundTo(floorNs),
          getCredentialsNs: roundTo(credkitNs),
        },
      ),
    ];
  },
  uncachedMemoryRead: async () => {
    const { floorNs, credkitNs } = await uncachedRead();
    return [
      measurement(
        "uncached memory getCredentials / raw AES-256-GCM decrypt",
        credkitNs / floorNs,
        "×",
        { atMost: 3 },
        { rawAesGcmDecryptNs: roundTo(floorNs), getCredentialsNs: roundTo(credkitNs) },
      ),
    ];
  },
  coldConcurrentReads: async () => {
    const { backendReads } = await coldReads();
    return [
      measurement("backend reads for 1,000 concurrent cold reads of one key", backendReads, "", {
        equals: 1,
      }),
    ];
  },
  versusPowertools: async () => {
    const { manager } = await cacheHit();
    const { powertoolsNs, credkitNs } = await powertools(manager);
    return [
      measurement(
        "speedup of a credkit cache hit over Powertools' cached getSecret",
        powertoolsNs / credkitNs,
        "×",
        { atLeast: 1 },
        { powertoolsCachedGetSecretNs: roundTo(powertoolsNs), credkitCacheHitNs: roundTo(credkitNs) },
      ),
    ];
  },
  fileBackend: fileStore,
  httpListing: async () => (await import("./http.js")).httpListing(),
  kms: async () => (await import("./kms.js")).kmsBench(),
  invalidation: async () => (await import("./invalidation.js")).invalidationBench(),
  brokered: async () => (await import("./brokered.js")).brokeredBench(),
  auditSink: async () => (await import("./audit.js")).auditBench(),
  cliStart: async () => (await import("./cli.js")).cliStartBench(),
  oauth: async () => (await import("./oauth.js")).oauthBench(),
  remoteOverhead: async () => (await import("./remote.js")).remoteOverheadBench(),
};

const requested = process.argv[2];
if (requested) {
  const scenario = scenarios[requested];
  if (!scenario)
    throw new Error(`Unknown scenario ${requested}; one of ${Object.keys(scenarios).join(", ")}.`);
  process.stdout.write(`${JSON.stringify(await scenario())}\n`);
} else {
  const measurements: Measurement[] = [];
  for (const name of Object.keys(scenarios)) {
    const output = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), name], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    measurements.push(...(JSON.parse(output.trim().split("\n").at(-1) as string) as Measurement[]));
  }
  const verdicts = report("npm run bench", measurements);
  await writeFile(
    new URL("./results.json", import.meta.url),
    `${JSON.stringify({ ...environment(), verdicts }, null, 2)}\n`,
  );
}
