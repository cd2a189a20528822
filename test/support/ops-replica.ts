/**
 * One replica for the fleet invalidation tests, run as a child process: a manager over the shared
 * PostgreSQL store with a long cache TTL, joined to the fleet through the adapter named in argv
 * (`postgres` or `redis <url>`). It answers IPC requests:
 *   { id, read: { tenant, name } }   → { id, version, apiKey, cache }  (apiKey revealed: test data)
 *   { id, stats: true }              → { id, stats }
 * and prints nothing.
 */
import { postgresBackend } from "../../src/backends/postgres/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { fleetInvalidation } from "../../src/ops/invalidation/fleet.js";
import { postgresInvalidation } from "../../src/ops/invalidation/postgres.js";
import { redisInvalidation } from "../../src/ops/invalidation/redis.js";
import { keyring } from "./fixtures.js";
import { POSTGRES_URL } from "./postgres.js";

const [schema, adapter, redisUrl] = process.argv.slice(2) as [string, string, string | undefined];
const backend = postgresBackend({ connectionString: POSTGRES_URL, schema });
const manager = new CredentialManager({ backend, encryption: keyring(), cache: { ttlMs: 600_000 } });
const transport =
  adapter === "redis"
    ? redisInvalidation({ url: redisUrl, channel: `inv-${schema}` })
    : postgresInvalidation({ connectionString: POSTGRES_URL, channel: `inv_${schema}` });
const fleet = await fleetInvalidation(manager, transport);

interface Request {
  readonly id: number;
  readonly read?: { tenant: string; name: string };
  readonly stats?: true;
}

process.on("message", (request: Request) => {
  void answer(request).then((reply) => process.send?.({ id: request.id, ...reply }));
});

async function answer(request: Request): Promise<object> {
  if (request.stats) return { stats: fleet.stats() };
  const { tenant, name } = request.read as { tenant: string; name: string };
  const [result] = await manager.getManyCredentials([{ connectionId: name, userId: tenant }]);
  if (!result?.ok) return { error: result?.error.code };
  const event = manager.audit.events({ tenant, name, action: "read" }).at(-1);
  return { version: result.version, apiKey: result.credentials.apiKey?.reveal(), cache: event?.cache };
}

process.on("disconnect", () => {
  void fleet.close().then(() => manager.close());
});
process.send?.({ ready: true });
