/**
 * The file store under several processes: concurrent writers lose nothing, and a writer killed
 * with SIGKILL mid-write leaves every record readable as an old or a new value.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { keyring } from "../support/fixtures.js";
import { childScript } from "../support/node-bundle.js";

const WRITER = join(import.meta.dirname, "../support/file-store-writer.ts");
let directory: string;
let writerScript: string;

beforeAll(async () => {
  writerScript = await childScript(WRITER);
});

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-procs-"));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function writer(...args: string[]): ChildProcess {
  return spawn(process.execPath, [writerScript, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

function collect(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk) => {
      text += String(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`writer exited ${code}`))));
  });
}

function manager(): CredentialManager {
  return new CredentialManager({
    backend: fileBackend({ directory, maxVersions: 100_000 }),
    encryption: keyring(),
    cache: false,
  });
}

describe("file store across processes", () => {
  it("4 processes × 200 concurrent writes to one credential lose nothing", async () => {
    const outputs = await Promise.all(
      [1, 2, 3, 4].map((worker) => collect(writer("burst", directory, String(worker), "200"))),
    );
    const writes = outputs.flatMap(
      (output) => JSON.parse(output) as Array<{ version: number; value: string }>,
    );
    expect(writes).toHaveLength(800);
    const versions = writes.map((write) => write.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 800 }, (_, index) => index + 1));
    const reader = manager();
    for (const write of writes) {
      const stored = await reader.getCredentials("shared", "tenant", { version: write.version });
      expect(stored.apiKey?.reveal()).toBe(write.value);
    }
  }, 120_000);

  it("a writer killed with SIGKILL mid-write leaves every record readable as an old or new value", async () => {
    for (let round = 0; round < 3; round++) {
      const child = writer("loop", directory, String(round));
      const started: string[] = [];
      await new Promise<void>((resolve, reject) => {
        child.on("close", (code) => reject(new Error(`writer stopped early (exit ${code})`)));
        child.stdout?.on("data", (chunk) => {
          started.push(...String(chunk).split("\n").filter(Boolean));
          if (started.length >= 10 + round * 7) resolve();
        });
      });
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("close", resolve));
      const reader = manager();
      for (const record of ["record-0", "record-1", "record-2"]) {
        const stored = await reader.getCredentials(record, "tenant");
        const prefix = stored.big?.reveal().slice(0, 40) ?? "";
        expect(started).toContain(prefix);
      }
    }
  }, 120_000);
});
