/**
 * The credkit HTTP API in an Express app, offline on the embedded encrypted file store (./.credkit).
 *   npx tsx examples/http-express.ts          # serves on http://127.0.0.1:3000/credkit
 *   npx tsx examples/http-express.ts --check  # starts, calls itself once, stops
 * Callers authenticate with an organisation API key (X-API-Key); the key is printed once here.
 */

import { createCredentialManager } from "credkit";
import { apiKeyAuthentication, createRouter, generateApiKey, toNodeHandler } from "credkit/http";
import express from "express";

const credentials = await createCredentialManager(); // VAULT_TYPE unset → the encrypted file store
const { key, hash } = await generateApiKey(); // store `hash` (e.g. in your database); hand out `key` once
const router = createRouter({
  credentials,
  prefix: "/credkit",
  authenticate: apiKeyAuthentication({ keys: [{ tenantId: "acme", hash }] }),
});

const app = express();
// Mount before any body parser: the router reads (and limits) the body itself.
app.use("/credkit", toNodeHandler(router));
app.get("/", (_request, response) => {
  response.send("credkit API under /credkit (see /credkit/openapi.json)");
});

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, "127.0.0.1", () =>
  console.log(`listening on http://127.0.0.1:${port}/credkit`),
);
await new Promise((resolve) => server.once("listening", resolve));

const catalog = await fetch(`http://127.0.0.1:${port}/credkit/connectors`, { headers: { "x-api-key": key } });
console.log(`GET /credkit/connectors → ${catalog.status}`);
if (process.argv.includes("--check")) {
  server.close();
  await credentials.close();
} else {
  console.log(`try: curl -H "X-API-Key: ${key}" http://127.0.0.1:${port}/credkit/integrations`);
}
