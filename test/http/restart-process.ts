/**
 * One process of the restart test: a router over a file credential store and a PostgreSQL table
 * connection store. `setup <dir> <schema> <key>` creates an integration and exits; `read <dir>
 * <schema>` lists the tenant's integrations and their masked credentials, printing JSON.
 */
import { fileBackend } from "../../src/backends/file/index.js";
import { postgresConnectionStore } from "../../src/connectors/connection-stores/postgres.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { createRouter } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";
import { POSTGRES_URL } from "../support/postgres.js";

const [mode, directory, schema, key] = process.argv.slice(2);
const credentials = new CredentialManager({
  backend: fileBackend({ directory: directory as string }),
  encryption: keyring(),
});
const connections = postgresConnectionStore({ connectionString: POSTGRES_URL, schema: schema as string });
const router = createRouter({
  credentials,
  connections,
  authenticate: () => ({ tenantId: "acme", actor: "restart" }),
});
const call = async (method: string, path: string, body?: unknown) => {
  const response = await router.fetch(
    new Request(`http://restart${path}`, {
      method,
      ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    }),
  );
  return { status: response.status, body: await response.json() };
};
if (mode === "setup") {
  const created = await call("POST", "/integrations", {
    id: "kept",
    connector: "openai",
    name: "Kept",
    credentials: { api_key: key },
  });
  process.stdout.write(`${JSON.stringify(created.status)}\n`);
} else {
  const list = await call("GET", "/integrations");
  const masked = await call("GET", "/integrations/kept/credentials");
  process.stdout.write(`${JSON.stringify({ list, masked })}\n`);
}
await connections.close();
