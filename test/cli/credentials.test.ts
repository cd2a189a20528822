/**
 * The built `credkit` bin on the file store and on PostgreSQL: keygen, doctor, put (stdin and
 * --value), get (masked, --reveal), list, describe, versions, rotate, delete, restore, purge,
 * --json, --help with examples, and exit codes by error code. A canary value is planted and
 * every output is searched for it (and its encodings) unless --reveal asked for it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redactor } from "../../src/core/redact.js";
import { maskSecret } from "../../src/core/secret.js";
import { baseEnv, type CliResult, cliBin, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const KEY = randomBytes(32).toString("base64");
const CANARY = `sk-canary-${randomBytes(12).toString("hex")}`;
const leaks = new Redactor([CANARY]);

function expectNoLeak(result: CliResult): void {
  expect(leaks.carries(result.stdout + result.stderr)).toBe(false);
}

function json<T>(result: CliResult): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  await cliBin();
}, 120_000);

describe("credkit bin basics", () => {
  const env = baseEnv();

  it("prints its version and help with examples for every command", async () => {
    const { version: released } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const version = await runCli([flag], { env });
      expect(version.code).toBe(0);
      expect(version.stdout).toBe(`${released}\n`);
    }
    const help = await runCli(["--help"], { env });
    expect(help.code).toBe(0);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((match) => match[1]!);
    for (const command of [
      "keygen",
      "doctor",
      "put",
      "get",
      "list",
      "describe",
      "versions",
      "rotate",
      "delete",
      "restore",
      "purge",
    ]) {
      expect(commands).toContain(command);
    }
    for (const command of commands.filter((name) => name !== "help")) {
      const own = await runCli([command, "--help"], { env });
      expect(own.code, command).toBe(0);
      expect(own.stdout, command).toMatch(/Examples:\n {2}\$ .*credkit /);
    }
  });

  it("keygen prints a key CREDENTIAL_ENCRYPTION_KEY accepts, a new one each time", async () => {
    const first = await runCli(["keygen"], { env });
    const second = await runCli(["keygen", "--hex"], { env });
    expect(Buffer.from(first.stdout.trim(), "base64")).toHaveLength(32);
    expect(second.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const parsed = json<{ key: string }>(await runCli(["keygen", "--json"], { env }));
    expect(parsed.key).not.toBe(first.stdout.trim());
  });

  it("an unknown command or a missing argument is a usage error (exit 2)", async () => {
    expect((await runCli(["bogus"], { env })).code).toBe(2);
    expect((await runCli(["get", "acme"], { env })).code).toBe(2);
  });

  it("an unknown backend is a configuration error (exit 6) naming the valid ones", async () => {
    const result = await runCli(["--backend", "nosuch", "list", "acme", "--json"], { env });
    expect(result.code).toBe(6);
    const error = JSON.parse(result.stderr) as { error: { code: string; message: string } };
    expect(error.error.code).toBe("configuration");
    expect(error.error.message).toContain("postgres");
  });
});

/** Every credential command against one store, configured by `env`. */
function credentialSuite(name: string, makeEnv: () => Record<string, string>): void {
  it(`${name}: put from stdin, get masked and revealed, list, describe, versions`, async () => {
    const env = makeEnv();
    const put = await runCli(["put", "acme", "openai", "--type", "api_key", "--json"], {
      env,
      input: `${CANARY}\n`,
    });
    expect(json<{ version: number }>(put).version).toBe(1);
    expectNoLeak(put);

    const masked = await runCli(["get", "acme", "openai"], { env });
    expect(masked.code).toBe(0);
    expect(masked.stdout).toBe(`apiKey=${maskSecret(CANARY)}\n`);
    expectNoLeak(masked);

    const revealed = await runCli(["get", "acme", "openai", "--reveal", "--field", "apiKey"], { env });
    expect(revealed.stdout).toBe(`${CANARY}\n`);

    const list = json<Array<{ connectionId: string; type: string }>>(
      await runCli(["list", "acme", "--json"], { env }),
    );
    expect(list.map((item) => [item.connectionId, item.type])).toEqual([["openai", "api_key"]]);

    const describeResult = await runCli(["describe", "acme", "openai"], { env });
    expect(describeResult.stdout).toMatch(/type: +api_key/);
    expectNoLeak(describeResult);

    const rotated = await runCli(["rotate", "acme", "openai", "--json"], { env, input: `${CANARY}-2` });
    expect(json<{ version: number }>(rotated).version).toBe(2);
    const versions = json<Array<{ version: number; state: string }>>(
      await runCli(["versions", "acme", "openai", "--json"], { env }),
    );
    expect(versions.map((entry) => [entry.version, entry.state])).toEqual([
      [1, "available"],
      [2, "available"],
    ]);
    const old = await runCli(["get", "acme", "openai", "--at-version", "1", "--reveal", "--json"], { env });
    expect(json<{ apiKey: string }>(old).apiKey).toBe(CANARY);
  });

  it(`${name}: --value works with a shell-history warning; --if-version conflicts exit 9`, async () => {
    const env = makeEnv();
    const put = await runCli(["put", "acme", "flag", "--value", CANARY], { env });
    expect(put.code).toBe(0);
    expect(put.stderr).toContain("shell history");
    expectNoLeak(put);
    const conflict = await runCli(["put", "acme", "flag", "--if-version", "0", "--json"], {
      env,
      input: "other-value",
    });
    expect(conflict.code).toBe(9);
    expect(JSON.parse(conflict.stderr).error.code).toBe("conflict");
  });

  it(`${name}: delete, restore and purge; not found and deleted exit with their codes`, async () => {
    const env = makeEnv();
    expect((await runCli(["put", "acme", "gone"], { env, input: CANARY })).code).toBe(0);
    expect((await runCli(["delete", "acme", "gone"], { env })).code).toBe(0);
    expect((await runCli(["get", "acme", "gone"], { env })).code).toBe(5);
    const listed = json<Array<{ connectionId: string; status: string }>>(
      await runCli(["list", "acme", "--include-deleted", "--json"], { env }),
    );
    expect(listed.find((item) => item.connectionId === "gone")?.status).toBe("deleted");
    expect((await runCli(["restore", "acme", "gone"], { env })).code).toBe(0);
    expect((await runCli(["get", "acme", "gone"], { env })).code).toBe(0);
    const refused = await runCli(["purge", "acme", "gone"], { env });
    expect(refused.code).toBe(3);
    expect((await runCli(["purge", "acme", "gone", "--yes"], { env })).code).toBe(0);
    const missing = await runCli(["get", "acme", "gone", "--json"], { env });
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stderr).error.code).toBe("not_found");
  });

  it(`${name}: doctor passes every check, one verdict line each`, async () => {
    const env = makeEnv();
    const result = await runCli(["doctor"], { env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines.map((line) => line.split(":")[0])).toEqual([
      "ok    configuration",
      "ok    sdk",
      "ok    connectivity",
      "ok    round trip",
      "ok    keys",
    ]);
    // the scratch credential is gone and never visible to tenants
    const report = json<{ ok: boolean }>(await runCli(["doctor", "--json"], { env }));
    expect(report.ok).toBe(true);
    expect(json<unknown[]>(await runCli(["list", "credkit-doctor", "--json"], { env }))).toEqual([]);
  });
}

describe("on the file store", () => {
  const directory = mkdtempSync(join(tmpdir(), "credkit-cli-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const env = () =>
    baseEnv({
      VAULT_TYPE: "file",
      CREDKIT_FILE_DIR: join(directory, "store"),
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    });
  credentialSuite("file", env);

  it("doctor fails (exit 1) with the check that failed when the key cannot open what is stored", async () => {
    const wrongKey = { ...env(), CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    const result = await runCli(["doctor"], { env: wrongKey });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}keys: .*cannot be opened/m);
    expect(result.stdout).toMatch(/^ok {4}round trip/m);
  });

  it("doctor fails at configuration when a required variable is missing", async () => {
    const result = await runCli(["--backend", "postgres", "doctor"], { env: baseEnv() });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}configuration: missing DATABASE_URL/m);
  });
});

describePostgres("on PostgreSQL", () => {
  const schema = uniqueIdentifier("cli");
  const admin = adminPool();
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });
  const env = () =>
    baseEnv({
      VAULT_TYPE: "postgres",
      DATABASE_URL: POSTGRES_URL,
      CREDKIT_PG_SCHEMA: schema,
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    });
  credentialSuite("postgres", env);

  it("doctor reports connectivity failure against a closed port (exit 1)", async () => {
    const url = new URL(POSTGRES_URL);
    url.port = "1";
    const result = await runCli(["doctor"], { env: { ...env(), DATABASE_URL: url.toString() } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}connectivity: /m);
  });
});
