import { afterAll, beforeAll } from "vitest";
import { cloudflareKvBackend } from "../../src/backends/cloudflare-kv/index.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { type CloudflareKvServer, startCloudflareKvServer } from "../servers/cloudflare-kv/server.js";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const NAMESPACE = "fedcba9876543210fedcba9876543210";
const TOKEN = "cf-test-token-0000000000000000000000000000";
let server: CloudflareKvServer;

beforeAll(async () => {
  server = await startCloudflareKvServer({ accountId: ACCOUNT, namespaceId: NAMESPACE, apiToken: TOKEN });
});
afterAll(async () => {
  await server?.close();
});

runBackendContract({
  name: "cloudflare (http, loopback REST API)",
  create: async () =>
    cloudflareKvBackend({
      accountId: ACCOUNT,
      namespaceId: NAMESPACE,
      apiToken: TOKEN,
      baseUrl: server.baseUrl,
      env: {},
    }),
});
