/**
 * `credkit export` and `credkit import` on the file store and PostgreSQL: NDJSON and JSON round
 * trips, `.env` with a tenant, the encrypted bundle (no plaintext inside, wrong passphrase
 * refused), `--dry-run` writing nothing, per-item results for bad lines, and values never in the
 * command's output.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Redactor } from "../../src/core/redact.js";
import { baseEnv, type CliResult, cliScratchDirectory, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const KEY = randomBytes(32).toString("base64");
const CANARY = `canary-${randomBytes(12).toString("hex")}`;
const leaks = new Redactor([CANARY]);
const directory = cliScratchDirectory("credkit-cli-transfer-");

function expectNoLeak(result: CliResult): void {
  expect(leaks.carries(result.stdout + result.stderr)).toBe(false);
}

function transferSuite(name: string, makeEnv: (store: string) => Record<string, string>): void {
  it(`${name}: import NDJSON with per-item results, dry run, export, re-import into another store unchanged`, async () => {
    const env = makeEnv("a");
    const input = join(directory, `${name}-in.ndjson`);
    writeFileSync(
      input,
      [
        JSON.stringify({
          tenantId: "acme",
          connectionId: "openai",
          type: "api_key",
          fields: { apiKey: CANARY },
        }),
        "{not json",
        JSON.stringify({
          tenantId: "acme",
          connectionId: "db",
          fields: { user: "app", password: `${CANARY}-db` },
        }),
        JSON.stringify({ tenantId: "beta", connectionId: "~reserved", fields: { value: "x-value" } }),
      ].join("\n"),
    );
    const dry = await runCli(["import", input, "--dry-run", "--json"], { env });
    const dryReport = JSON.parse(dry.stdout) as { dryRun: boolean; summary: Record<string, number> };
    expect(dryReport).toMatchObject({ dryRun: true, summary: { created: 2, failed: 2 } });
    expect(JSON.parse((await runCli(["list", "acme", "--json"], { env })).stdout)).toEqual([]);

    const run = await runCli(["import", input], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/item 2 failed: validation — .*line 2: not valid JSON/);
    expect(run.stdout).toMatch(/item 4 failed: validation/);
    expect(run.stdout).toContain("Created 2, updated 0, unchanged 0, failed 2.");
    expectNoLeak(run);

    const file = join(directory, `${name}-out.json`);
    const exported = await runCli(["export", "--output", file], { env });
    expect(exported.code, exported.stderr).toBe(0);
    expectNoLeak(exported);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const records = JSON.parse(readFileSync(file, "utf8")) as Array<{ connectionId: string; fields: object }>;
    expect(records.map((record) => record.connectionId).sort()).toEqual(["db", "openai"]);

    const other = makeEnv("b");
    const imported = await runCli(["import", file, "--json"], { env: other });
    expect(JSON.parse(imported.stdout).summary).toMatchObject({ created: 2, failed: 0 });
    const again = await runCli(["import", file, "--json"], { env: other });
    expect(JSON.parse(again.stdout).summary).toMatchObject({ created: 0, unchanged: 2 });
    const revealed = await runCli(["get", "acme", "db", "--reveal", "--json"], { env: other });
    expect(JSON.parse(revealed.stdout)).toEqual({ user: "app", password: `${CANARY}-db` });
    const changed = join(directory, `${name}-changed.ndjson`);
    writeFileSync(
      changed,
      `${JSON.stringify({ tenantId: "acme", connectionId: "db", fields: { user: "app2", password: "p-value" } })}\n`,
    );
    const updated = await runCli(["import", changed, "--json"], { env: other });
    expect(JSON.parse(updated.stdout).items).toMatchObject([{ outcome: "updated", version: 2 }]);
  });

  it(`${name}: encrypted bundle round trip; no plaintext in the bundle; a wrong passphrase exits 8`, async () => {
    const env = { ...makeEnv("c"), CREDKIT_BUNDLE_PASSPHRASE: "correct horse battery" };
    expect((await runCli(["put", "acme", "openai"], { env, input: CANARY })).code).toBe(0);
    const bundle = join(directory, `${name}-bundle.credkit.json`);
    const sealed = await runCli(["export", "--encrypt", "--output", bundle, "--format", "ndjson"], { env });
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(leaks.carries(readFileSync(bundle, "utf8"))).toBe(false);
    const target = { ...makeEnv("d"), CREDKIT_BUNDLE_PASSPHRASE: "correct horse battery" };
    const wrong = await runCli(["import", bundle], {
      env: { ...target, CREDKIT_BUNDLE_PASSPHRASE: "wrong passphrase" },
    });
    expect(wrong.code).toBe(8);
    const opened = await runCli(["import", bundle, "--json"], { env: target });
    expect(JSON.parse(opened.stdout).summary).toMatchObject({ created: 1 });
    expect(
      (await runCli(["get", "acme", "openai", "--reveal", "--field", "apiKey"], { env: target })).stdout,
    ).toBe(`${CANARY}\n`);
  });

  it(`${name}: every version crosses machines in the encrypted bundle, in order; importing it again adds none`, async () => {
    const passphrase = { CREDKIT_BUNDLE_PASSPHRASE: "correct horse battery" };
    const env = { ...makeEnv("history-source"), ...passphrase };
    const values = [CANARY, `${CANARY}-second`, `${CANARY}-third`];
    for (const value of values)
      expect((await runCli(["put", "acme", "openai"], { env, input: value })).code).toBe(0);
    expect((await runCli(["put", "globex", "stripe"], { env, input: `${CANARY}-globex` })).code).toBe(0);
    const bundle = join(directory, `${name}-history.credkit.json`);
    const sealed = await runCli(["export", "--encrypt", "--output", bundle, "--json"], { env });
    expect(JSON.parse(sealed.stdout)).toMatchObject({ exported: 4, allVersions: true, encrypted: true });
    expect(leaks.carries(readFileSync(bundle, "utf8"))).toBe(false);

    const target = { ...makeEnv("history-target"), ...passphrase };
    const first = await runCli(["import", bundle, "--json"], { env: target });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).summary).toMatchObject({
      created: 2,
      updated: 2,
      unchanged: 0,
      failed: 0,
    });
    const versions = await runCli(["versions", "acme", "openai", "--json"], { env: target });
    expect(JSON.parse(versions.stdout)).toHaveLength(3);
    for (const [index, value] of values.entries()) {
      const read = await runCli(
        ["get", "acme", "openai", "--reveal", "--field", "apiKey", "--at-version", String(index + 1)],
        { env: target },
      );
      expect(read.stdout).toBe(`${value}\n`);
    }
    const again = await runCli(["import", bundle, "--json"], { env: target });
    expect(JSON.parse(again.stdout).summary).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(
      JSON.parse((await runCli(["versions", "acme", "openai", "--json"], { env: target })).stdout),
    ).toHaveLength(3);

    const plain = join(directory, `${name}-history.ndjson`);
    expect((await runCli(["export", "--all-versions", "--output", plain], { env })).code).toBe(0);
    const lines = readFileSync(plain, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.tenantId, line.version])).toEqual([
      ["acme", 1],
      ["acme", 2],
      ["acme", 3],
      ["globex", 1],
    ]);
    for (const result of [sealed, first, again, versions]) expectNoLeak(result);
  });

  it(`${name}: .env import and export for one tenant; export needs --output`, async () => {
    const env = makeEnv("e");
    const dotenv = join(directory, `${name}.env`);
    writeFileSync(dotenv, `OPENAI_API_KEY=${CANARY}\nMULTI="line one\\nline two"\n`);
    expect((await runCli(["import", dotenv], { env })).code).toBe(3);
    const imported = await runCli(["import", dotenv, "--tenant", "acme", "--json"], { env });
    expect(JSON.parse(imported.stdout).summary).toMatchObject({ created: 2 });
    expect((await runCli(["export"], { env })).code).toBe(3);
    const stdout = await runCli(["export", "--tenant", "acme", "--format", "env", "--output", "-"], { env });
    expect(stdout.stdout).toContain(`OPENAI_API_KEY="${CANARY}"`);
    expect(stdout.stdout).toContain('MULTI="line one\\nline two"');
  });
}

describe("on the file store", () => {
  transferSuite("file", (store) =>
    baseEnv({
      VAULT_TYPE: "file",
      CREDKIT_FILE_DIR: join(directory, `store-${store}`),
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    }),
  );
});

describePostgres("on PostgreSQL", () => {
  const schemas = new Map<string, string>();
  const admin = adminPool();
  afterAll(async () => {
    for (const schema of schemas.values()) await dropTestObjects(admin, schema);
    await admin.end();
  });
  transferSuite("postgres", (store) => {
    if (!schemas.has(store)) schemas.set(store, uniqueIdentifier(`cli_tr_${store}`));
    return baseEnv({
      VAULT_TYPE: "postgres",
      DATABASE_URL: POSTGRES_URL,
      CREDKIT_PG_SCHEMA: schemas.get(store)!,
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    });
  });
});
