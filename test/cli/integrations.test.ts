/**
 * `credkit integrations list|test|disable|enable` on the file store and PostgreSQL, over
 * connections created through the library (stored beside the credentials). The provider is the
 * loopback OpenAI server; the connection's key never reaches the command's output.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService } from "../../src/connectors/service.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { Redactor } from "../../src/core/redact.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { baseEnv, type CliResult, cliBin, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const KEY = randomBytes(32).toString("base64");
const API_KEY = `sk-proj-${randomBytes(16).toString("hex")}`;
const leaks = new Redactor([API_KEY]);
let server: LoopbackServer;

beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: API_KEY, echoKey: true });
  await cliBin();
}, 120_000);
afterAll(() => server?.close());

function expectNoLeak(result: CliResult): void {
  expect(leaks.carries(result.stdout + result.stderr)).toBe(false);
}

function integrationSuite(name: string, makeEnv: () => Record<string, string>): void {
  it(`${name}: list masked, test (blocked, then allowed), disable and enable`, async () => {
    const env = makeEnv();
    const manager = await createCredentialManager({ env });
    const service = new ConnectorService({ credentials: manager, tenantId: "acme" });
    const record = await service.create({
      connector: "openai",
      instanceName: "Assistant",
      configuration: { api_key: API_KEY, baseURL: `${server.url}/v1` },
    });
    await manager.close();

    const list = await runCli(["integrations", "list", "acme", "--json"], { env });
    expect(list.code, list.stderr).toBe(0);
    const items = JSON.parse(list.stdout) as Array<{ id: string; status: string; connector: string }>;
    expect(items.map((item) => [item.id, item.connector, item.status])).toEqual([
      [record.id, "openai", "pending"],
    ]);
    expectNoLeak(list);

    const blocked = await runCli(["integrations", "test", "acme", record.id], { env });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/^FAIL/);
    expectNoLeak(blocked);

    const allowed = await runCli(
      ["integrations", "test", "acme", record.id, "--allow-host", "127.0.0.1", "--json"],
      {
        env,
      },
    );
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ success: true, status: "active" });
    expectNoLeak(allowed);

    const disabled = await runCli(["integrations", "disable", "acme", record.id, "--message", "paused"], {
      env,
    });
    expect(disabled.stdout.trim()).toBe(`${record.id}: disabled`);
    const table = await runCli(["integrations", "list", "acme"], { env });
    expect(table.stdout).toMatch(new RegExp(`${record.id} +openai +Assistant +disabled`));
    const enabled = await runCli(["integrations", "enable", "acme", record.id], { env });
    expect(enabled.stdout.trim()).toBe(`${record.id}: pending`);
    expect((await runCli(["integrations", "test", "acme", "no-such-id"], { env })).code).toBe(4);
  });
}

describe("on the file store", () => {
  const directory = mkdtempSync(join(tmpdir(), "credkit-cli-int-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  integrationSuite("file", () =>
    baseEnv({ VAULT_TYPE: "file", CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: KEY }),
  );
});

describePostgres("on PostgreSQL", () => {
  const schema = uniqueIdentifier("cli_int");
  const admin = adminPool();
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });
  integrationSuite("postgres", () =>
    baseEnv({
      VAULT_TYPE: "postgres",
      DATABASE_URL: POSTGRES_URL,
      CREDKIT_PG_SCHEMA: schema,
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    }),
  );
});
