/**
 * A restart keeps every integration: one process sets three up through the router (one of them
 * disabled), a new process over the same store lists them with their status, serves their masked
 * credentials and resolves their keys. The router and the connector service are created without a
 * connection store, so the default (beside the credentials) is what survives — on the embedded
 * file store, on PostgreSQL and on the loopback Vault; and the PostgreSQL table store too.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerKey } from "../connectors/support.js";
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";
import { childScript } from "../support/node-bundle.js";
import { adminPool, describePostgres, dropTestObjects, uniqueIdentifier } from "../support/postgres.js";

const script = childScript(new URL("./restart-process.ts", import.meta.url).pathname);
const keys = [providerKey("sk-"), providerKey("sk-"), providerKey("sk-")];
/** Variables an SDK could read to reach a real service: cleared for the child processes. */
const PINNED = [
  "VAULT_ADDR",
  "VAULT_TOKEN",
  "VAULT_NAMESPACE",
  "VAULT_PREFIX",
  "VAULT_SKIP_VERIFY",
  "VAULT_TYPE",
];

async function run(...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, RESTART_KEYS: keys.join(",") };
  for (const name of PINNED) delete env[name];
  const { stdout } = await promisify(execFile)(process.execPath, [await script, ...args], {
    encoding: "utf8",
    timeout: 90_000,
    env,
  });
  const last = stdout.trim().split("\n").at(-1) as string;
  for (const key of keys) expect(stdout.includes(key), "a key in a child's output").toBe(false);
  return last;
}

/** Sets up in one process, reads in another, and checks that every integration survived. */
async function survivesRestart(...where: string[]): Promise<void> {
  expect(JSON.parse(await run("setup", ...where))).toEqual([201, 201, 201, 200]);
  const read = JSON.parse(await run("read", ...where)) as {
    list: Array<[string, string, unknown]>;
    masked: Array<[number, string]>;
    resolved: boolean[];
  };
  expect(read.list).toEqual([
    ["kept-a", "pending", { model: "gpt-4o-mini" }],
    ["kept-b", "pending", { model: "gpt-4o-mini" }],
    ["kept-off", "disabled", { model: "gpt-4o-mini" }],
  ]);
  expect(read.masked).toEqual(keys.map((key) => [200, `***${key.slice(-6)}`]));
  expect(read.resolved).toEqual([true, true, true]);
}

describe("restart (new process, same store, default connection store)", () => {
  let directory: string;
  let vault: VaultServer;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "credkit-restart-"));
    vault = await startVaultServer();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
    await vault?.close();
  });

  it("keeps every integration, its status and its key on the embedded file store", async () => {
    await survivesRestart("file", directory);
  }, 180_000);

  it("keeps every integration, its status and its key on Vault (loopback server, node-vault)", async () => {
    await survivesRestart("vault", vault.url, vault.rootToken);
  }, 180_000);
});

describePostgres("restart (new process, same PostgreSQL)", () => {
  const schema = uniqueIdentifier("credkit_restart");
  const tableSchema = uniqueIdentifier("credkit_restart_table");
  let admin: pg.Pool;
  let directory: string;
  beforeAll(async () => {
    admin = adminPool();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE SCHEMA "${tableSchema}"`);
    directory = await mkdtemp(join(tmpdir(), "credkit-restart-"));
  });
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await dropTestObjects(admin, tableSchema);
    await admin.end();
    await rm(directory, { recursive: true, force: true });
  });

  it("keeps every integration, its status and its key in PostgreSQL (credentials and connections)", async () => {
    await survivesRestart("postgres", schema);
  }, 180_000);

  it("keeps every integration in the PostgreSQL table store (file credentials)", async () => {
    await survivesRestart("postgres-table", directory, tableSchema);
  }, 180_000);
});
