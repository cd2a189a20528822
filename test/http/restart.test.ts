/**
 * A restart keeps integrations: one process sets one up through the router, a new process with
 * the same stores (file credentials, PostgreSQL table connections) lists it and resolves its key.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { providerKey } from "../connectors/support.js";
import { adminPool, describePostgres, dropTestObjects, uniqueIdentifier } from "../support/postgres.js";

const script = new URL("./restart-process.ts", import.meta.url).pathname;
const run = (...args: string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", timeout: 60_000 })
    .trim()
    .split("\n")
    .at(-1) as string;

describePostgres("restart (new process, same stores)", () => {
  const schema = uniqueIdentifier("credkit_restart");
  let admin: pg.Pool;
  let directory: string;
  beforeAll(async () => {
    admin = adminPool();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    directory = await mkdtemp(join(tmpdir(), "credkit-restart-"));
  });
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
    await rm(directory, { recursive: true, force: true });
  });

  it("keeps the integration, its status and its key (file credentials, PostgreSQL connections)", async () => {
    const key = providerKey("sk-");
    expect(run("setup", directory, schema, key)).toBe("201");
    const output = run("read", directory, schema);
    expect(output.includes(key)).toBe(false);
    const { list, masked } = JSON.parse(output) as {
      list: { status: number; body: { integrations: Array<{ id: string; status: string }> } };
      masked: { status: number; body: { credentials: { api_key: string } } };
    };
    expect(list.body.integrations.map((item) => [item.id, item.status])).toEqual([["kept", "pending"]]);
    expect(masked.status).toBe(200);
    expect(masked.body.credentials.api_key).toBe(`***${key.slice(-6)}`);
  }, 120_000);
});
