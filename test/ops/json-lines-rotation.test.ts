/**
 * The JSON-lines audit sink rotates by size: no file grows past `maxBytes` (unless one line is
 * larger), `keep` rotated files are kept in order, and no event is lost or duplicated in between.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { jsonLinesSink } from "../../src/core/audit.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConfigurationError } from "../../src/core/errors.js";
import { keyring } from "../support/fixtures.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-jsonl-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

it("rotates by size, keeps `keep` files, and every event is in exactly one file in order", async () => {
  const path = join(directory, "audit.jsonl");
  const sink = jsonLinesSink(path, { maxBytes: 2_000, keep: 3 });
  const credentials = new CredentialManager({
    backend: memoryBackend(),
    encryption: keyring(),
    audit: { sinks: [sink] },
  });
  await credentials.storeCredentials("conn", "tenant", { apiKey: "sk-rotate-aaaaaaaaaa" });
  for (let read = 0; read < 80; read++) {
    await credentials.getCredentials("conn", "tenant", { correlationId: `req-${read}` });
  }
  await sink.flush();

  expect((await readdir(directory)).sort()).toEqual([
    "audit.jsonl",
    "audit.jsonl.1",
    "audit.jsonl.2",
    "audit.jsonl.3",
  ]);
  const lines: string[] = [];
  for (const file of ["audit.jsonl.3", "audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]) {
    const full = join(directory, file);
    expect((await stat(full)).size).toBeLessThanOrEqual(2_000);
    expect((await stat(full)).mode & 0o777).toBe(0o600);
    lines.push(...(await readFile(full, "utf8")).trim().split("\n"));
  }
  const ids = lines.map((line) => JSON.parse(line).correlationId as string | undefined).filter(Boolean);
  // The oldest files were dropped: what is left is the newest events, consecutive and in order.
  const first = Number(ids[0]?.slice(4));
  expect(ids).toEqual(Array.from({ length: 80 - first }, (_, index) => `req-${first + index}`));
  expect(first).toBeGreaterThan(0);
});

it("refuses options that are not sizes or counts", () => {
  expect(() => jsonLinesSink("x", { maxBytes: 0 })).toThrow(ConfigurationError);
  expect(() => jsonLinesSink("x", { maxBytes: 1.5 })).toThrow(ConfigurationError);
  expect(() => jsonLinesSink("x", { maxBytes: 10, keep: 0 })).toThrow(ConfigurationError);
});
