/**
 * The default connection store (records kept as system records through the credential store's
 * own backend) passes the connection store contract on memory, file, PostgreSQL and the loopback
 * Vault (and on memory with the read cache on, so listings come from the listing cache); connections survive a restart (a new process on the same file store sees them all); and
 * the records never show up among the tenant's credentials.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { postgresBackend } from "../../src/backends/postgres/index.js";
import { vaultBackend } from "../../src/backends/vault/index.js";
import { credentialConnectionStore } from "../../src/connectors/connection-stores/credential-store.js";
import { ConnectorService } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { runConnectionStoreContract } from "../contract/connection-store-contract.js";
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import { childScript } from "../support/node-bundle.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_PREFIX", "VAULT_SKIP_VERIFY"]) {
  delete process.env[name];
}

const tests = { describe, it, beforeAll, afterAll };

/** A contract run of the credential-backed store over a backend made by `create`. */
function contractOn(
  name: string,
  create: () => Promise<Backend>,
  cleanup?: () => Promise<void>,
  cache: false | { ttlMs: number } = false,
) {
  let backend: Backend | undefined;
  runConnectionStoreContract(
    {
      name: `credential store on ${name}`,
      create: async () => {
        backend = await create();
        return credentialConnectionStore(new CredentialManager({ backend, encryption: keyring(), cache }));
      },
      cleanup: async () => {
        await backend?.close?.();
        await cleanup?.();
      },
    },
    tests,
  );
}

contractOn("memory", async () => memoryBackend({ env: {} }));
// why: with the read cache on, listings come from the listing cache; the contract's writes must show.
contractOn("memory, cache on", async () => memoryBackend({ env: {} }), undefined, { ttlMs: 60_000 });

let directory: string;
contractOn(
  "file",
  async () => {
    directory = await mkdtemp(join(tmpdir(), "credkit-connections-"));
    return fileBackend({ directory });
  },
  () => rm(directory, { recursive: true, force: true }),
);

describePostgres("credential store on postgres", () => {
  const schema = uniqueIdentifier("credkit_conn");
  contractOn(
    "postgres",
    async () => postgresBackend({ connectionString: POSTGRES_URL, schema }),
    async () => {
      const admin = adminPool();
      await dropTestObjects(admin, schema);
      await admin.end();
    },
  );
});

let vault: VaultServer;
describe("credential store on the loopback Vault", () => {
  beforeAll(async () => {
    vault = await startVaultServer();
  });
  afterAll(async () => {
    await vault?.close();
  });
  contractOn("vault (node-vault over HTTP)", async () =>
    vaultBackend({ endpoint: vault.url, auth: { method: "token", token: vault.rootToken } }),
  );
});

const CHILD = join(import.meta.dirname, "list-connections.ts");

async function listInChild(dir: string, tenantId: string): Promise<string> {
  const script = await childScript(CHILD);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir, tenantId], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let text = "";
    child.stdout.on("data", (chunk) => {
      text += String(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
  });
}

describe("durable connections", () => {
  it("the default ConnectorService store survives a restart: a new process on the same file store sees every connection", async () => {
    const dir = await mkdtemp(join(tmpdir(), "credkit-restart-"));
    try {
      const manager = new CredentialManager({
        backend: fileBackend({ directory: dir }),
        encryption: keyring(),
      });
      const tenantId = uniqueId("tenant");
      const service = new ConnectorService({ credentials: manager, tenantId });
      await manager.storeCredentials("openai_api_key", tenantId, {
        api_key: "sk-restart0123456789abcdefghij",
      });
      const created = [];
      for (let index = 0; index < 5; index++) {
        created.push(
          await service.create({
            id: `conn-${index}`,
            connector: "openai",
            instanceName: `Assistant ${index}`,
            configuration: { model: "gpt-4o-mini" },
            secretsReferences: { api_key: { secret_name: "openai_api_key" } },
          }),
        );
      }
      await service.disable("conn-3", "paused");
      const seen = JSON.parse(await listInChild(dir, tenantId)) as Array<Record<string, unknown>>;
      expect(seen.map((item) => item.id)).toEqual(created.map((record) => record.id));
      expect(seen.map((item) => item.instanceName)).toEqual(created.map((record) => record.instanceName));
      expect(seen.find((item) => item.id === "conn-3")).toMatchObject({ status: "disabled", revision: 2 });
      expect(seen[0]).toMatchObject({ resolved: "sk-restart0123456789abcdefghij".length });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("connection records are not credentials: listCredentials and a new connection id never meet them", async () => {
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      cache: false,
    });
    const tenantId = uniqueId("tenant");
    const service = new ConnectorService({ credentials: manager, tenantId });
    await service.create({
      id: "billing",
      connector: "openai",
      instanceName: "Billing",
      configuration: { api_key: "sk-own0123456789abcdefghijkl" },
    });
    await manager.storeCredentials("billing", tenantId, { token: "tenant-own-value" });
    const listed = await manager.listCredentials(tenantId);
    expect(listed.items.map((item) => item.connectionId)).toEqual(["billing"]);
    expect((await manager.getCredentials("billing", tenantId)).token?.reveal()).toBe("tenant-own-value");
    expect((await service.get("billing")).instanceName).toBe("Billing");
  });
});
