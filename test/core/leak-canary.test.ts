/**
 * A planted value must never appear in anything the API returns, throws, logs or writes in the
 * clear: errors (message, stack, cause chain), audit events, log lines, masked views,
 * JSON.stringify or util.inspect of any result, console output, or the store's files.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { jsonLinesSink } from "../../src/core/audit.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { maskFields } from "../../src/core/secret.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A, TEST_KEY_B } from "../support/fixtures.js";
import { type OutputTap, tapOutput } from "../support/output.js";

let directory: string;
let output: OutputTap;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-canary-"));
  output = tapOutput();
});

afterAll(async () => {
  output.restore();
  await rm(directory, { recursive: true, force: true });
});

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

describe("leak canaries", () => {
  it("a planted value appears nowhere but in reveal()", async () => {
    const value = canary();
    const auditPath = join(directory, "audit.jsonl");
    const auditFile = jsonLinesSink(auditPath);
    const backend = fileBackend({ directory: join(directory, "store") });
    const manager = new CredentialManager({ backend, encryption: keyring(), audit: { sinks: [auditFile] } });
    const results: unknown[] = [];

    results.push(
      await manager.storeCredentials("c", "t", { apiKey: value, dsn: `postgres://u:${value}@h/db` }),
    );
    const credentials = await manager.getCredentials("c", "t", { accessor: "connector_1" });
    results.push(credentials, maskFields(credentials), await manager.describeCredentials("c", "t"));
    results.push(await manager.listCredentials("t"));
    results.push(
      await manager.getManyCredentials([
        { connectionId: "c", userId: "t" },
        { connectionId: "x", userId: "t" },
      ]),
    );
    console.log("credentials:", credentials, `${credentials.apiKey}`);

    // Failures of every kind, each carrying the value somewhere in its input.
    results.push(await outcome(manager.storeCredentials("bad", "t", { dsn: value }, { type: "db_dsn" })));
    results.push(
      await outcome(manager.storeCredentials("bad", "t", { json: value }, { type: "service_account" })),
    );
    results.push(
      await outcome(manager.storeCredentials("bad", "t", { [value]: value }, { type: "http_basic" })),
    );
    results.push(await outcome(manager.rotateCredentials("c", "t", { apiKey: value }, { ifVersion: 7 })));
    results.push(
      await outcome(
        manager.storeCredentials(
          "old",
          "t",
          { accessToken: value },
          { type: "oauth", expiresAt: new Date(0) },
        ),
      ),
    );
    results.push(await outcome(manager.getCredentials("old", "t")));
    const wrongKey = new CredentialManager({ backend, encryption: keyring(TEST_KEY_B) });
    results.push(await outcome(wrongKey.getCredentials("c", "t")));

    await auditFile.flush();
    results.push(manager.audit.events(), manager, backend);
    for (const result of results) assertNoLeak(result, value);
    // The encryption key itself never shows either, not even when the manager is inspected.
    for (const result of results) assertNoLeak(result, TEST_KEY_A);
    assertNoLeak(results, Buffer.from(TEST_KEY_A, "hex").toString("base64"));
    expect(output.text()).not.toContain(value);
    expect(await readFile(auditPath, "utf8")).not.toContain(value);

    const files: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await walk(path);
        else files.push(await readFile(path, "utf8"));
      }
    };
    await walk(join(directory, "store"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file).not.toContain(value);
    expect(credentials.apiKey?.reveal()).toBe(value);
  });
});
