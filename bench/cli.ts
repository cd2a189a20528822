/**
 * Cold start of the `credkit` bin (the build in dist/, as `npm run bench` builds it first):
 * `credkit --version` and `credkit list` on the file store, each against bare `node -e 0`
 * measured in the same run, interleaved, median of many spawns.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Measurement, measurement, roundTo } from "./verdict.js";

const BIN = resolve(import.meta.dirname, "../dist/cli/index.js");
const RUNS = 21;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timed(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: "ignore" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The two cold-start ratios with their targets. */
export async function cliStartBench(): Promise<Measurement[]> {
  const directory = mkdtempSync(join(tmpdir(), "credkit-bench-cli-"));
  const env = {
    PATH: process.env.PATH,
    VAULT_TYPE: "file",
    CREDKIT_FILE_DIR: directory,
    CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  timed([BIN, "put", "bench", "conn", "--value", "bench-value-123456"], env);
  const bare: number[] = [];
  const version: number[] = [];
  const list: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    bare.push(timed(["-e", "0"], env));
    version.push(timed([BIN, "--version"], env));
    list.push(timed([BIN, "list", "bench"], env));
  }
  rmSync(directory, { recursive: true, force: true });
  const floor = median(bare);
  return [
    measurement(
      "credkit --version cold start / node -e 0",
      median(version) / floor,
      "×",
      { atMost: 2 },
      {
        nodeMs: roundTo(floor),
        versionMs: roundTo(median(version)),
      },
    ),
    measurement(
      "credkit list (file store) cold start / node -e 0",
      median(list) / floor,
      "×",
      { atMost: 4 },
      {
        nodeMs: roundTo(floor),
        listMs: roundTo(median(list)),
      },
    ),
  ];
}
