/**
 * The refresh race across processes: 10 processes × 50 concurrent callers ask for a token whose
 * access token has expired, on the file store, PostgreSQL, the loopback Vault (KV v2) and the
 * loopback AWS Secrets Manager (a cloud store, through the official SDK).
 * Exactly one token-endpoint call per expiry, no invalid_grant, every caller gets the new token.
 * A replica killed with SIGKILL while it holds the refresh lease leaves the connection usable.
 */
process.env.AWS_EC2_METADATA_DISABLED = "true";

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { tokenCredentialName } from "../../src/oauth/index.js";
import { FakeSecretsManager } from "../servers/aws-secrets-manager/server.js";
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";
import { keyring } from "../support/fixtures.js";
import { childScript } from "../support/node-bundle.js";
import {
  adminPool,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
  unreachable,
} from "../support/postgres.js";
import { CLIENT_ID, CLIENT_SECRET, startTestProvider, type TestProvider } from "./support/provider.js";
import { type StoreConfig, storeBackend, type WorkerConfig } from "./support/race-worker.js";
import { connect, setupOAuth } from "./support/setup.js";

const WORKER = join(import.meta.dirname, "support/race-worker.ts");
const CHILD_ENV = {
  PATH: process.env.PATH ?? "",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_CONFIG_FILE: "/nonexistent/credkit-test/aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credkit-test/aws-credentials",
};

let server: TestProvider;
let aws: FakeSecretsManager;
let awsEndpoint: string;
let vault: VaultServer;
let directory: string;
let workerScript: string;
const schema = uniqueIdentifier("oauth_race");
const admin = unreachable ? undefined : adminPool();

beforeAll(async () => {
  server = await startTestProvider();
  aws = new FakeSecretsManager();
  awsEndpoint = await aws.start();
  vault = await startVaultServer();
  directory = await mkdtemp(join(tmpdir(), "credkit-oauth-race-"));
  workerScript = await childScript(WORKER);
});
afterAll(async () => {
  await server.close();
  await aws.stop();
  await vault.close();
  await rm(directory, { recursive: true, force: true });
  if (admin) {
    await dropTestObjects(admin, schema);
    await admin.end();
  }
});

function worker(config: WorkerConfig): ChildProcess {
  return spawn(process.execPath, [workerScript, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: CHILD_ENV,
  });
}

function result(child: ChildProcess): Promise<{ tokens: string[]; errors: string[] }> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk) => {
      text += String(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`worker exited ${code}`));
      else resolve(JSON.parse(text.trim().split("\n").pop() ?? "{}"));
    });
  });
}

async function expire(credentials: CredentialManager, tenantId: string, id: string): Promise<void> {
  await credentials.updateCredentials(tokenCredentialName(id), tenantId, {
    expiresAt: new Date(Date.now() - 1000).toISOString(),
  });
}

const refreshes = () => server.counts.grants.get("refresh_token") ?? 0;

const stores: Array<{ name: string; config: () => StoreConfig; skip?: string }> = [
  { name: "file store", config: () => ({ kind: "file", directory }) },
  {
    name: "PostgreSQL",
    config: () => ({ kind: "postgres", connectionString: POSTGRES_URL, schema }),
    ...(unreachable && process.env.CI !== "true" ? { skip: unreachable } : {}),
  },
  {
    name: "Vault KV v2 (loopback)",
    config: () => ({ kind: "vault", endpoint: vault.url, token: vault.rootToken }),
  },
  {
    name: "AWS Secrets Manager (loopback)",
    config: () => ({ kind: "aws", endpoint: awsEndpoint }),
  },
];

describe.each(stores)("refresh race on the $name", ({ config, skip }) => {
  it.skipIf(skip !== undefined)(
    "10 processes × 50 callers on an expired token: one token call, no invalid_grant, everyone gets the new token",
    async () => {
      const store = config();
      const credentials = new CredentialManager({ backend: storeBackend(store), encryption: keyring() });
      const { oauth } = setupOAuth(server, { credentials });
      const tenantId = uniqueIdentifier("tenant");
      const connectionId = await connect(server, oauth, tenantId);
      await expire(credentials, tenantId, connectionId);
      const before = refreshes();
      const base = {
        store,
        issuer: server.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        tenantId,
        connectionId,
        leaseMs: 60_000,
      };
      const outputs = await Promise.all(
        Array.from({ length: 10 }, () => result(worker({ ...base, mode: "race", callers: 50 }))),
      );
      expect(refreshes()).toBe(before + 1);
      expect(outputs.flatMap((output) => output.errors)).toEqual([]);
      const tokens = new Set(outputs.flatMap((output) => output.tokens));
      expect(tokens.size).toBe(1);
      const stored = await credentials.getCredentials(tokenCredentialName(connectionId), tenantId, {
        forceRefresh: true,
      });
      expect(tokens.has(stored.accessToken?.reveal() ?? "")).toBe(true);
      expect(await server.accessTokenValid(stored.accessToken?.reveal() ?? "")).toBe(true);
      await credentials.close();
    },
    300_000,
  );
});

describe("a replica killed mid-refresh", () => {
  it("SIGKILL while holding the lease: the others wait for the lease to lapse and refresh once", async () => {
    const store: StoreConfig = { kind: "file", directory };
    const credentials = new CredentialManager({ backend: storeBackend(store), encryption: keyring() });
    const { oauth } = setupOAuth(server, { credentials });
    const tenantId = uniqueIdentifier("tenant");
    const connectionId = await connect(server, oauth, tenantId);
    await expire(credentials, tenantId, connectionId);
    const base = {
      store,
      issuer: server.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      tenantId,
      connectionId,
      leaseMs: 10_000,
    };

    const stalled = worker({ ...base, mode: "stall", callers: 5 });
    await new Promise<void>((resolve, reject) => {
      stalled.stdout?.on("data", (chunk) => {
        if (String(chunk).includes("CLAIMED")) resolve();
      });
      stalled.on("close", () => reject(new Error("the stalling worker exited before claiming")));
    });
    const leased = await credentials.getCredentials(tokenCredentialName(connectionId), tenantId, {
      forceRefresh: true,
      allowExpired: true,
    });
    expect(leased.leaseOwner).toBeDefined();
    stalled.kill("SIGKILL");
    const before = refreshes();
    const outputs = await Promise.all(
      Array.from({ length: 3 }, () => result(worker({ ...base, mode: "race", callers: 20 }))),
    );
    expect(outputs.flatMap((output) => output.errors)).toEqual([]);
    expect(refreshes()).toBe(before + 1);
    const tokens = new Set(outputs.flatMap((output) => output.tokens));
    expect(tokens.size).toBe(1);
    expect(await server.accessTokenValid([...tokens][0] ?? "")).toBe(true);
    await credentials.close();
  }, 300_000);
});
