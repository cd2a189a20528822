/**
 * `credkit rewrap`, `verify-keys` and `audit tail|query` on the file store and PostgreSQL: after a
 * key rotation every version moves to the new key, verify-keys names what an old-key-only ring
 * cannot open (exit 1), and the command's own actions land in the audit file, without values.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv, cliScratchDirectory, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const OLD = randomBytes(32).toString("base64");
const NEW = randomBytes(32).toString("base64");
const CANARY = `canary-${randomBytes(12).toString("hex")}`;
const directory = cliScratchDirectory("credkit-cli-keys-");

/** `inPlace`: the store rewrites old versions in place (file); else only the latest moves (PostgreSQL). */
function keySuite(name: string, store: Record<string, string>, inPlace: boolean): void {
  it(`${name}: rewrap moves every version to the new key; verify-keys reports missing keys`, async () => {
    const audit = join(directory, `${name}-audit.jsonl`);
    const oldEnv = baseEnv({ ...store, CREDENTIAL_ENCRYPTION_KEY: OLD, CREDKIT_AUDIT_FILE: audit });
    for (const value of [CANARY, `${CANARY}-2`]) {
      expect((await runCli(["put", "acme", "openai"], { env: oldEnv, input: value })).code).toBe(0);
    }
    expect((await runCli(["get", "acme", "openai"], { env: oldEnv })).code).toBe(0);
    const rotated = { ...oldEnv, CREDENTIAL_ENCRYPTION_KEY: NEW, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: OLD };
    const rewrap = await runCli(["rewrap", "--json"], { env: rotated });
    expect(rewrap.code, rewrap.stderr).toBe(inPlace ? 0 : 1);
    const moved = JSON.parse(rewrap.stdout) as {
      credentials: number;
      rewrapped: number;
      notMoved: unknown[];
    };
    expect(moved).toMatchObject({ credentials: 1, rewrapped: inPlace ? 2 : 1 });
    // A store that cannot rewrite in place copies the latest value to a new version and still
    // lists both older versions: v1, and v2 with the version now holding its value.
    expect(moved.notMoved).toHaveLength(inPlace ? 0 : 2);
    if (!inPlace) expect(moved.notMoved).toContainEqual(expect.objectContaining({ version: 2, copiedTo: 3 }));

    const newOnly = await runCli(["verify-keys", "--json"], {
      env: { ...oldEnv, CREDENTIAL_ENCRYPTION_KEY: NEW },
    });
    expect(newOnly.code).toBe(inPlace ? 0 : 1);
    expect(JSON.parse(newOnly.stdout)).toMatchObject(
      inPlace ? { checked: 2, openable: 2 } : { checked: 3, openable: 1 },
    );
    const oldOnly = await runCli(["verify-keys"], { env: oldEnv });
    expect(oldOnly.code).toBe(1);
    expect(oldOnly.stdout).toContain(`cannot open: acme/openai v${inPlace ? 2 : 3}`);
    expect(oldOnly.stdout).toMatch(/Missing keys: k[0-9a-f]{8}\./);

    const tail = await runCli(["audit", "tail", "-n", "2", "--json"], { env: oldEnv });
    const last = JSON.parse(tail.stdout) as Array<{ action: string }>;
    expect(last).toHaveLength(2);
    const reads = await runCli(["audit", "query", "--tenant", "acme", "--action", "read", "--json"], {
      env: oldEnv,
    });
    expect(JSON.parse(reads.stdout)).toMatchObject([
      { action: "read", outcome: "success", name: "openai", accessor: "credkit-cli" },
    ]);
    const writes = await runCli(["audit", "query", "--file", audit, "--action", "write"], { env: baseEnv() });
    expect(writes.stdout.trim().split("\n")).toHaveLength(2); // rewrap's events are "rewrap"
    expect(readFileSync(audit, "utf8")).not.toContain(CANARY);
  });
}

describe("on the file store", () => {
  keySuite("file", { VAULT_TYPE: "file", CREDKIT_FILE_DIR: join(directory, "store") }, true);
});

describePostgres("on PostgreSQL", () => {
  const schema = uniqueIdentifier("cli_keys");
  const admin = adminPool();
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });
  keySuite(
    "postgres",
    { VAULT_TYPE: "postgres", DATABASE_URL: POSTGRES_URL, CREDKIT_PG_SCHEMA: schema },
    false,
  );
});
