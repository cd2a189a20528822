/**
 * `credkit run`: the child gets the credential as environment variables and prints it raw, in
 * base64, URL-encoded, JSON-escaped and split across writes, on stdout and stderr; none of it
 * reaches the terminal, the rest of its output does, and its exit code passes through. On the
 * file store and PostgreSQL, for a credential and for a connector-service connection.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService } from "../../src/connectors/service.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { Redactor } from "../../src/core/redact.js";
import { baseEnv, cliBin, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const KEY = randomBytes(32).toString("base64");
// why: characters that every encoding changes (/, +, =, space, quote) so each form differs from the raw value
const CANARY = `sk-live/${randomBytes(9).toString("base64url")}+tail= "q"`;
const leaks = new Redactor([CANARY]);

const CHILD = `
const value = process.env.API_KEY;
const half = Math.floor(value.length / 2);
console.log("start", value.length);
console.log("raw:", value);
console.log("b64:", Buffer.from(value).toString("base64"));
console.log("url:", encodeURIComponent(value));
console.log("json:", JSON.stringify({ value }));
console.error("err:", value);
process.stdout.write("split:" + value.slice(0, half));
setTimeout(() => {
  process.stdout.write(value.slice(half) + ":end\\n");
  process.stderr.write(Buffer.from(value).toString("base64").slice(0, 5));
  setTimeout(() => { process.stderr.write(Buffer.from(value).toString("base64").slice(5) + "\\n"); process.exit(7); }, 50);
}, 50);
`;

beforeAll(async () => {
  await cliBin();
}, 120_000);

function runSuite(name: string, makeEnv: () => Record<string, string>): void {
  it(`${name}: a credential's values never reach the output in any form; the exit code passes through`, async () => {
    const env = makeEnv();
    expect((await runCli(["put", "acme", "openai"], { env, input: CANARY })).code).toBe(0);
    const result = await runCli(
      ["run", "--tenant", "acme", "--connection", "openai", "--", process.execPath, "-e", CHILD],
      {
        env,
      },
    );
    expect(result.code).toBe(7);
    const output = result.stdout + result.stderr;
    expect(leaks.carries(output), output).toBe(false);
    expect(result.stdout).toContain(`start ${CANARY.length}`);
    expect(result.stdout).toContain("raw: [REDACTED]");
    expect(result.stdout).toContain("b64: [REDACTED]");
    expect(result.stdout).toContain("url: [REDACTED]");
    expect(result.stdout).toContain("split:[REDACTED]:end");
    expect(result.stderr).toContain("err: [REDACTED]");
  });

  it(`${name}: a connection's configuration and secrets become variables; secrets are redacted`, async () => {
    const env = makeEnv();
    const manager = await createCredentialManager({ env });
    const connection = await new ConnectorService({ credentials: manager, tenantId: "acme" }).create({
      connector: "openai",
      instanceName: "Assistant",
      configuration: { api_key: CANARY, model: "gpt-4o" },
    });
    await manager.close();
    const child = "console.log(process.env.OAI_MODEL, process.env.OAI_API_KEY); process.exit(0)";
    const result = await runCli(
      [
        "run",
        "--tenant",
        "acme",
        "--connection",
        connection.id,
        "--prefix",
        "OAI_",
        "--",
        process.execPath,
        "-e",
        child,
      ],
      { env },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("gpt-4o [REDACTED]\n");
  });
}

describe("on the file store", () => {
  const directory = mkdtempSync(join(tmpdir(), "credkit-cli-run-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  runSuite("file", () =>
    baseEnv({ VAULT_TYPE: "file", CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: KEY }),
  );

  it("a missing credential fails before running anything (exit 4)", async () => {
    const env = baseEnv({ VAULT_TYPE: "file", CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: KEY });
    const missing = await runCli(
      ["run", "--tenant", "acme", "--connection", "nope", "--", process.execPath, "-e", "console.log('ran')"],
      { env },
    );
    expect(missing.code).toBe(4);
    expect(missing.stdout).not.toContain("ran");
  });
});

describePostgres("on PostgreSQL", () => {
  const schema = uniqueIdentifier("cli_run");
  const admin = adminPool();
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });
  runSuite("postgres", () =>
    baseEnv({
      VAULT_TYPE: "postgres",
      DATABASE_URL: POSTGRES_URL,
      CREDKIT_PG_SCHEMA: schema,
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    }),
  );
});
