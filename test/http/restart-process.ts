/**
 * One process of the restart test: a router (and a connector service) over one store, each
 * created without a connection store unless the store is `postgres-table`, so the default is what
 * is tested. `setup <store> <where…>` sets up three integrations and disables one; `read <store>
 * <where…>` lists them, reads their masked credentials and resolves their keys, and prints JSON
 * (whether each resolved key matches `RESTART_KEYS`, never a key).
 *
 * Stores: `file <dir>`, `postgres <schema>` (credentials and connections in PostgreSQL),
 * `postgres-table <dir> <schema>` (file credentials, the PostgreSQL table store for connections),
 * `vault <url> <token>` (the loopback Vault of test/servers/vault).
 */
import { fileBackend } from "../../src/backends/file/index.js";
import { postgresBackend } from "../../src/backends/postgres/index.js";
import { vaultBackend } from "../../src/backends/vault/index.js";
import type { ConnectionStore } from "../../src/connectors/connection-store.js";
import { postgresConnectionStore } from "../../src/connectors/connection-stores/postgres.js";
import { ConnectorService } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { createRouter } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";
import { POSTGRES_URL } from "../support/postgres.js";

const [mode, store, first, second] = process.argv.slice(2) as [string, string, string, string];
const keys = (process.env.RESTART_KEYS ?? "").split(",");
const TENANT = "acme";
const IDS = ["kept-a", "kept-b", "kept-off"];

function backendOf(): Backend {
  if (store === "file" || store === "postgres-table") return fileBackend({ directory: first });
  if (store === "postgres") return postgresBackend({ connectionString: POSTGRES_URL, schema: first });
  if (store === "vault") return vaultBackend({ endpoint: first, auth: { method: "token", token: second } });
  throw new Error(`unknown store ${store}`);
}

const table =
  store === "postgres-table"
    ? postgresConnectionStore({ connectionString: POSTGRES_URL, schema: second })
    : undefined;
const connections: { connections?: ConnectionStore } = table ? { connections: table } : {};
const credentials = new CredentialManager({ backend: backendOf(), encryption: keyring(), cache: false });
const router = createRouter({
  credentials,
  ...connections,
  authenticate: () => ({ tenantId: TENANT, actor: "restart" }),
});

/** The parts of an answer this script reads. */
interface Answer {
  integrations: Array<{ id: string; status: string; configuration: unknown }>;
  credentials: { api_key: string };
}

const call = async (method: string, path: string, body?: unknown) => {
  const response = await router.fetch(
    new Request(`http://restart${path}`, {
      method,
      ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    }),
  );
  const answer = (response.status === 204 ? {} : await response.json()) as Answer;
  return { status: response.status, body: answer };
};

if (mode === "setup") {
  const statuses: number[] = [];
  for (const [index, id] of IDS.entries()) {
    const created = await call("POST", "/integrations", {
      id,
      connector: "openai",
      name: `Kept ${index}`,
      configuration: { model: "gpt-4o-mini" },
      credentials: { api_key: keys[index] },
    });
    statuses.push(created.status);
  }
  statuses.push((await call("POST", "/integrations/kept-off/disable")).status);
  process.stdout.write(`${JSON.stringify(statuses)}\n`);
} else {
  const list = await call("GET", "/integrations");
  const masked = await Promise.all(IDS.map((id) => call("GET", `/integrations/${id}/credentials`)));
  const service = new ConnectorService({ credentials, tenantId: TENANT, ...(table ? { store: table } : {}) });
  const resolved = await Promise.all(
    IDS.map(async (id, index) => {
      const values = await service.getConnectorCredentials(id);
      return (values.api_key as { reveal(): string }).reveal() === keys[index];
    }),
  );
  process.stdout.write(
    `${JSON.stringify({
      list: list.body.integrations.map((item) => [item.id, item.status, item.configuration]),
      masked: masked.map((answer) => [answer.status, answer.body.credentials.api_key]),
      resolved,
    })}\n`,
  );
}
await table?.close();
await credentials.close();
