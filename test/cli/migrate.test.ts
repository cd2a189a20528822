/**
 * `credkit migrate` from the file store to PostgreSQL, to Vault (the loopback server, through
 * node-vault) and to AWS Secrets Manager (the loopback stand-in, through the AWS SDK): every tenant, credential and version arrives intact, a soft-deleted credential
 * stays deleted (and restorable), connections move with their secrets, and a second run copies
 * nothing and verifies everything.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService } from "../../src/connectors/service.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import type { CredentialManager } from "../../src/core/credential-manager.js";
import type { Secret } from "../../src/core/secret.js";
import { FakeSecretsManager } from "../servers/aws-secrets-manager/server.js";
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";
import { baseEnv, cliBin, runCli } from "../support/cli.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const KEY = randomBytes(32).toString("base64");
const value = (label: string) => `${label}-${randomBytes(10).toString("hex")}`;

/** tenant → name → the values of versions 1..n */
const SEEDED: Record<string, Record<string, string[]>> = {
  acme: {
    openai: [value("a1"), value("a2"), value("a3")],
    db: [value("d1")],
    gone: [value("g1"), value("g2")],
  },
  "beta/unit": { "key:1": [value("b1"), value("b2")] },
};

async function seed(manager: CredentialManager): Promise<string> {
  for (const [tenant, credentials] of Object.entries(SEEDED)) {
    for (const [name, versions] of Object.entries(credentials)) {
      for (const apiKey of versions)
        await manager.storeCredentials(name, tenant, { apiKey }, { type: "api_key" });
    }
  }
  await manager.deleteCredentials("gone", "acme");
  const service = new ConnectorService({ credentials: manager, tenantId: "acme" });
  const connection = await service.create({
    connector: "openai",
    instanceName: "Assistant",
    configuration: { api_key: value("conn"), model: "gpt-4o" },
  });
  return connection.id;
}

async function expectIntact(
  target: CredentialManager,
  connectionId: string,
  source: CredentialManager,
): Promise<void> {
  for (const [tenant, credentials] of Object.entries(SEEDED)) {
    for (const [name, versions] of Object.entries(credentials)) {
      if (name === "gone") continue;
      for (const [index, apiKey] of versions.entries()) {
        const fields = await target.getCredentials(name, tenant, { version: index + 1 });
        expect(fields.apiKey?.reveal(), `${tenant}/${name} v${index + 1}`).toBe(apiKey);
      }
      expect((await target.describeCredentials(name, tenant)).version).toBe(versions.length);
    }
  }
  await expect(target.getCredentials("gone", "acme")).rejects.toMatchObject({ code: "deleted" });
  await target.restoreCredentials("gone", "acme");
  expect((await target.getCredentials("gone", "acme", { version: 1 })).apiKey?.reveal()).toBe(
    SEEDED.acme!.gone![0],
  );
  expect((await target.getCredentials("gone", "acme")).apiKey?.reveal()).toBe(SEEDED.acme!.gone![1]);
  const before = await new ConnectorService({
    credentials: source,
    tenantId: "acme",
  }).getConnectorCredentials(connectionId);
  const after = await new ConnectorService({ credentials: target, tenantId: "acme" }).getConnectorCredentials(
    connectionId,
  );
  expect((after.api_key as Secret).reveal()).toBe((before.api_key as Secret).reveal());
  expect(after.model).toBe("gpt-4o");
}

let directory: string;
let fileEnv: Record<string, string>;
let source: CredentialManager;
let connectionId: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "credkit-cli-migrate-"));
  fileEnv = baseEnv({ CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: KEY });
  source = await createCredentialManager({ backend: "file", env: fileEnv, cache: false });
  connectionId = await seed(source);
  await cliBin();
}, 120_000);

afterAll(async () => {
  await source?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function migrateTwice(env: Record<string, string>, to: string): Promise<void> {
  const first = await runCli(["migrate", "--from", "file", "--to", to, "--json"], { env });
  expect(first.code, first.stderr).toBe(0);
  const report = JSON.parse(first.stdout) as {
    credentials: number;
    copied: number;
    deleted: number;
    failures: unknown[];
  };
  // 4 credentials (8 versions) + the connection record + the secret the connection owns
  expect(report).toMatchObject({ credentials: 6, copied: 8 + 2, deleted: 1, failures: [] });
  const again = await runCli(["migrate", "--from", "file", "--to", to, "--json"], { env });
  // the deleted credential is already deleted on the target: done, not read again
  expect(JSON.parse(again.stdout)).toMatchObject({ copied: 0, verified: 8, deleted: 0, failures: [] });
}

describePostgres("file → PostgreSQL", () => {
  const schema = uniqueIdentifier("cli_mig");
  const admin = adminPool();
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("copies every tenant, credential and version, verified; a second run copies nothing", async () => {
    const env = { ...fileEnv, DATABASE_URL: POSTGRES_URL, CREDKIT_PG_SCHEMA: schema };
    await migrateTwice(env, "postgres");
    const target = await createCredentialManager({ backend: "postgres", env, cache: false });
    try {
      await expectIntact(target, connectionId, source);
    } finally {
      await target.close();
    }
  });
});

describe("file → Vault (loopback server, node-vault)", () => {
  let vault: VaultServer;
  beforeAll(async () => {
    vault = await startVaultServer();
  });
  afterAll(() => vault?.close());

  it("copies every tenant, credential and version, verified; a second run copies nothing", async () => {
    const env = { ...fileEnv, VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken };
    await migrateTwice(env, "vault");
    const target = await createCredentialManager({ backend: "vault", env, cache: false });
    try {
      await expectIntact(target, connectionId, source);
    } finally {
      await target.close();
    }
  });
});

describe("file → AWS Secrets Manager (loopback stand-in, @aws-sdk/client-secrets-manager)", () => {
  const aws = new FakeSecretsManager();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await aws.start();
  });
  afterAll(() => aws.stop());

  it("copies every tenant, credential and version, verified; a second run copies nothing", async () => {
    // pinned: the stand-in's endpoint, static keys, no profile, no metadata service
    const env = {
      ...fileEnv,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIAMIGRATETEST00000",
      AWS_SECRET_ACCESS_KEY: "migrate-test-secret-not-real",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/credkit-test/aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credkit-test/aws-credentials",
    };
    await migrateTwice(env, "aws-secrets-manager");
    const target = await createCredentialManager({ backend: "aws-secrets-manager", env, cache: false });
    try {
      await expectIntact(target, connectionId, source);
    } finally {
      await target.close();
    }
  });
});
