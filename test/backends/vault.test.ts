/**
 * The Vault backend through node-vault over HTTP to the loopback Vault in test/servers/vault:
 * the contract suite, then CAS under concurrency, token lifecycle, namespaces, faults,
 * stale-if-error and canaries.
 */
import { afterAll, beforeAll } from "vitest";
import { vaultBackend } from "../../src/backends/vault/index.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { startVaultServer, type VaultServer } from "../servers/vault/server.js";

// why: node-vault reads these from the environment; nothing may leak in or reach a real Vault.
for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_PREFIX", "VAULT_SKIP_VERIFY"]) {
  delete process.env[name];
}

let server: VaultServer;

beforeAll(async () => {
  server = await startVaultServer();
});

afterAll(async () => {
  await server?.close();
});

runBackendContract({
  name: "vault (node-vault over HTTP, static token)",
  create: async () =>
    vaultBackend({ endpoint: server.url, auth: { method: "token", token: server.rootToken } }),
  concurrentWriters: 20,
});
