/**
 * `credkit import` of 10,000 records killed with SIGKILL halfway, then run again: it resumes from
 * its checkpoint and ends with exactly 10,000 credentials, each at version 1 (nothing written
 * twice, including the batch in flight when the process died).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import type { CredentialInfo } from "../../src/core/manager-options.js";
import { baseEnv, cliBin, runCli } from "../support/cli.js";

const RECORDS = 10_000;
const TENANTS = 10;
// why: 10,000 credentials are 10,000 folders; on tmpfs (where there is one) writing and removing
// them costs memory bandwidth instead of disk syncs, which keeps the test short on a loaded machine.
const directory = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "credkit-cli-resume-"));
const input = join(directory, "credentials.ndjson");
const checkpoint = `${input}.credkit-import.json`;
const env = baseEnv({
  VAULT_TYPE: "file",
  CREDKIT_FILE_DIR: join(directory, "store"),
  CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
});

beforeAll(async () => {
  const lines: string[] = [];
  for (let index = 0; index < RECORDS; index++) {
    const record = {
      tenantId: `tenant-${index % TENANTS}`,
      connectionId: `cred-${index}`,
      fields: { apiKey: `key-${index}-${randomBytes(6).toString("hex")}` },
    };
    lines.push(JSON.stringify(record));
  }
  writeFileSync(input, `${lines.join("\n")}\n`);
  await cliBin();
}, 120_000);
let running: ReturnType<typeof spawn> | undefined;
afterAll(() => {
  if (running?.exitCode === null) running.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
}, 120_000);

function checkpointDone(): number {
  if (!existsSync(checkpoint)) return 0;
  try {
    return (JSON.parse(readFileSync(checkpoint, "utf8")) as { done: number }).done;
  } catch {
    return 0;
  }
}

it("a SIGKILLed import resumes to exactly 10,000 credentials, none written twice", async () => {
  const bin = await cliBin();
  const child = spawn(process.execPath, [bin, "import", input, "--batch-size", "500"], {
    env,
    stdio: "ignore",
  });
  running = child;
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  // poll (no timing assumptions) until the checkpoint says at least half is done, then kill
  while (checkpointDone() < RECORDS / 2) {
    if (child.exitCode !== null) throw new Error("the import finished before it could be killed");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  const killedAt = checkpointDone();
  expect(killedAt).toBeGreaterThanOrEqual(RECORDS / 2);
  expect(killedAt).toBeLessThan(RECORDS);

  const resumed = await runCli(["import", input, "--batch-size", "500", "--json"], { env });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stderr).toBe("");
  const { summary } = JSON.parse(resumed.stdout) as {
    summary: { created: number; updated: number; unchanged: number; failed: number; resumed: number };
  };
  expect(summary.resumed).toBe(killedAt);
  expect(summary.created + summary.unchanged + summary.resumed).toBe(RECORDS);
  expect(summary.failed).toBe(0);
  expect(summary.updated).toBe(0);
  expect(existsSync(checkpoint)).toBe(false);

  const manager = await createCredentialManager({ env, cache: false });
  try {
    const all: CredentialInfo[] = [];
    for (let tenant = 0; tenant < TENANTS; tenant++) {
      let cursor: string | undefined;
      do {
        const page = await manager.listCredentials(`tenant-${tenant}`, {
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        all.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
    }
    expect(all).toHaveLength(RECORDS);
    expect(new Set(all.map((info) => info.connectionId)).size).toBe(RECORDS);
    expect(all.filter((info) => info.version !== 1)).toEqual([]);
  } finally {
    await manager.close();
  }
}, 600_000);
