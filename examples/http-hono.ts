/**
 * The credkit HTTP API in a Hono app: the router is a web-standard `fetch` handler, so it mounts
 * unchanged (the same code runs on Bun, Deno and Cloudflare Workers). Offline on the embedded store.
 *   npx tsx examples/http-hono.ts
 * Here `authenticate` trusts a session the app already checked; replace it with your own.
 */

import { createCredentialManager } from "credkit";
import { createRouter, refuse } from "credkit/http";
import { createClient } from "credkit/http/client";
import { Hono } from "hono";

const credentials = await createCredentialManager();
const router = createRouter({
  credentials,
  prefix: "/credkit",
  // Your session check goes here: return the tenant and actor, or refuse.
  authenticate: (request) => {
    const session = request.headers.get("x-demo-session");
    return session === "demo" ? { tenantId: "workspace-1", actor: "alice@example.com" } : refuse(401);
  },
});

const app = new Hono();
app.all("/credkit/*", (context) => router.fetch(context.req.raw));

// The typed client (credkit/http/client) works against app.fetch as it would against a server.
const client = createClient({
  baseUrl: "http://local/credkit",
  headers: { "x-demo-session": "demo" },
  fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))),
});
const { connectors } = await client.connectors.list();
console.log(`catalog: ${connectors.map((connector) => connector.id).join(", ")}`);
const created = await client.credentials.create({
  id: `demo-${Date.now()}`,
  values: { apiKey: "sk-demo-not-a-real-key-000000" },
});
console.log(
  `stored ${created.id} v${created.version}; fields ${created.fields.join(", ")} (values never come back)`,
);
await client.credentials.delete(created.id, { purge: true });
await credentials.close();

export default app;
