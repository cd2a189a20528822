/**
 * `credkit audit tail|query` on the PostgreSQL audit sink: with `CREDKIT_AUDIT_DATABASE_URL` the
 * commands write their own events to the database (no audit file configured at all) and the
 * audit commands read them back from it, filtered, newest last, without values; `--follow`
 * prints events written after it started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { baseEnv, cliBin, cliScratchDirectory, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const CANARY = `canary-${randomBytes(12).toString("hex")}`;
const directory = cliScratchDirectory("credkit-cli-audit-pg-");

describePostgres("audit on the PostgreSQL audit sink", () => {
  const schema = uniqueIdentifier("cli_audit");
  const admin = adminPool();
  const env = baseEnv({
    VAULT_TYPE: "file",
    CREDKIT_FILE_DIR: join(directory, "store"),
    CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    CREDKIT_AUDIT_DATABASE_URL: POSTGRES_URL,
    CREDKIT_AUDIT_PG_SCHEMA: schema,
  });
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("the command's events land in the database and tail/query read them back", async () => {
    expect((await runCli(["put", "acme", "openai"], { env, input: CANARY })).code).toBe(0);
    expect((await runCli(["put", "globex", "stripe"], { env, input: `${CANARY}-2` })).code).toBe(0);
    expect((await runCli(["get", "acme", "openai"], { env })).code).toBe(0);

    const rows = await admin.query(
      `SELECT tenant, name, action, outcome FROM "${schema}".credkit_audit ORDER BY time, id`,
    );
    expect(rows.rows).toEqual([
      expect.objectContaining({ tenant: "acme", name: "openai", action: "write", outcome: "success" }),
      expect.objectContaining({ tenant: "globex", name: "stripe", action: "write", outcome: "success" }),
      expect.objectContaining({ tenant: "acme", name: "openai", action: "read", outcome: "success" }),
    ]);

    const tail = await runCli(["audit", "tail", "-n", "2", "--json"], { env });
    expect(tail.code, tail.stderr).toBe(0);
    expect(JSON.parse(tail.stdout)).toMatchObject([
      { tenant: "globex", action: "write" },
      { tenant: "acme", action: "read", accessor: "credkit-cli" },
    ]);
    const reads = await runCli(["audit", "query", "--tenant", "acme", "--action", "write", "--json"], {
      env,
    });
    expect(JSON.parse(reads.stdout)).toMatchObject([{ tenant: "acme", name: "openai", action: "write" }]);
    const human = await runCli(["audit", "query", "--connection", "stripe"], { env });
    expect(human.stdout).toMatch(/write\s+success globex\/stripe v1 by credkit-cli/);
    const none = await runCli(["audit", "query", "--since", "2999-01-01T00:00:00Z", "--json"], { env });
    expect(JSON.parse(none.stdout)).toEqual([]);
    for (const output of [tail, reads, human]) expect(output.stdout + output.stderr).not.toContain(CANARY);
    const stored = await admin.query(`SELECT * FROM "${schema}".credkit_audit`);
    expect(JSON.stringify(stored.rows)).not.toContain(CANARY);
  }, 120_000);

  it("tail --follow prints an event written after it started", async () => {
    const child = spawn(
      process.execPath,
      [await cliBin(), "audit", "tail", "-n", "1", "--follow", "--json"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let printed = "";
    child.stdout.on("data", (chunk: Buffer) => {
      printed += chunk.toString("utf8");
    });
    const until = async (found: () => boolean) => {
      while (!found()) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    try {
      await until(() => printed.includes('"action"'));
      const before = printed;
      expect((await runCli(["get", "globex", "stripe"], { env })).code).toBe(0);
      await until(() => printed.length > before.length && printed.slice(before.length).includes('"read"'));
      expect(JSON.parse(printed.slice(before.length).trim().split("\n")[0] ?? "")).toMatchObject({
        tenant: "globex",
        name: "stripe",
        action: "read",
      });
    } finally {
      child.kill("SIGTERM");
    }
  }, 120_000);
});
