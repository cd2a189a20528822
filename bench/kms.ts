/**
 * KMS key providers in `npm run bench`, against the loopback AWS KMS (test/servers/aws-kms)
 * through the official SDK and the built package:
 *
 * 1. KMS unwrap calls made by 1,000 uncached reads of 100 credentials.            target ≤ 100
 * 2. Uncached read over a KMS (data keys cached) vs over the local keyring.         target ≤ 1.5×
 */
import { randomBytes } from "node:crypto";
import { startAwsKmsServer } from "../test/servers/aws-kms/server.js";
import { built, CredentialManager, LocalKeyring, memoryBackend } from "./built.js";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const { awsKmsKeyProvider } = (await import(
  built("keys/aws-kms/index.js")
)) as typeof import("../src/keys/aws-kms/index.js");

const CREDENTIALS = 100;
const READS = 1000;

/** Nanoseconds per `READS` reads of `read`. */
async function timeReads(read: (index: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < READS; index++) await read(index % CREDENTIALS);
  return Number(process.hrtime.bigint() - start) / READS;
}

/** Median nanoseconds per read of `floor` and `subject`, in alternating rounds. */
async function compareReads(
  floor: (index: number) => Promise<unknown>,
  subject: (index: number) => Promise<unknown>,
  rounds = 7,
): Promise<{ floorNs: number; subjectNs: number }> {
  const floors: number[] = [];
  const subjects: number[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await timeReads(floor));
    subjects.push(await timeReads(subject));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
  return { floorNs: median(floors), subjectNs: median(subjects) };
}

async function managerOver(encryption: ConstructorParameters<typeof CredentialManager>[0]["encryption"]) {
  const manager = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption, cache: false });
  for (let index = 0; index < CREDENTIALS; index++) {
    await manager.storeCredentials(`credential-${index}`, "bench", {
      apiKey: `sk-${randomBytes(16).toString("hex")}`,
    });
  }
  return manager;
}

export async function kmsBench(): Promise<Measurement[]> {
  const server = await startAwsKmsServer("AKIDBENCH");
  try {
    const keyId = server.createKey("bench");
    const provider = () =>
      awsKmsKeyProvider({
        keyId,
        clientOptions: {
          endpoint: server.endpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" },
        },
      });
    const kms = provider();
    const writer = await managerOver(kms);
    const local = new LocalKeyring(randomBytes(32));
    const overLocal = await managerOver(local);
    // why: a reader of its own, as another process would be: no data key it reads is cached yet.
    const readerKms = provider();
    const overKms = new CredentialManager({ backend: writer.backend, encryption: readerKms, cache: false });
    const before = server.calls.filter((call) => call === "Decrypt").length;
    const read = (manager: typeof overKms) => (index: number) =>
      manager.getCredentials(`credential-${index}`, "bench");
    for (let index = 0; index < READS; index++) await read(overKms)(index % CREDENTIALS);
    const unwraps = server.calls.filter((call) => call === "Decrypt").length - before;
    const { floorNs: localNs, subjectNs: kmsNs } = await compareReads(read(overLocal), read(overKms));
    await kms.close();
    await readerKms.close();
    return [
      measurement(
        `KMS unwrap calls for ${READS} uncached reads of ${CREDENTIALS} credentials`,
        unwraps,
        " calls",
        {
          atMost: CREDENTIALS,
        },
      ),
      measurement(
        "uncached read over AWS KMS (data keys cached) / over the local keyring",
        kmsNs / localNs,
        "×",
        { atMost: 1.5 },
        {
          kmsReadNs: roundTo(kmsNs),
          localReadNs: roundTo(localNs),
        },
      ),
    ];
  } finally {
    await server.close();
  }
}
