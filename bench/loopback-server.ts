/**
 * One loopback server of a bench in a process of its own, so its request handling does not run
 * on the event loop being measured: the bench then sees what a user's process sees when it talks
 * to a remote server. The store servers serve the remote-overhead bench (bench/remote.ts), the
 * OpenAI stand-in the brokered bench (bench/brokered.ts). Started by `serve` (bench/serve.ts):
 *
 *   node --import tsx bench/loopback-server.ts <aws|vault|gcp|azure|cloudflare|openai>
 *
 * Prints one line of JSON (a `Served`) once the server listens, and closes the server and exits
 * when stdin ends (the bench closes it, or the bench process is gone).
 */
import { randomBytes } from "node:crypto";
import { FakeSecretsManager } from "../test/servers/aws-secrets-manager/server.js";
import { KeyVaultServer } from "../test/servers/azure-key-vault/server.js";
import { startCloudflareKvServer } from "../test/servers/cloudflare-kv/server.js";
import { startGcpSecretManagerServer } from "../test/servers/gcp-secret-manager/server.js";
import { startOpenAIServer } from "../test/servers/providers/openai.js";
import { startVaultServer } from "../test/servers/vault/server.js";

/** How the bench reaches a server started by this script. */
export interface Served {
  /** The URL (or `host:port` for GCP's gRPC) clients are given. */
  readonly endpoint: string;
  /**
   * The token the server accepts (Vault root token, Azure bearer token, Cloudflare API token,
   * OpenAI API key).
   */
  readonly token: string;
  /** GCP project id, or Cloudflare account id. */
  readonly account: string;
  /** Cloudflare namespace id. */
  readonly namespace: string;
}

/** The server kinds this script starts. */
export type ServedKind = "aws" | "vault" | "gcp" | "azure" | "cloudflare" | "openai";

const servers: Record<ServedKind, () => Promise<{ served: Served; close(): Promise<void> }>> = {
  async aws() {
    const server = new FakeSecretsManager();
    const endpoint = await server.start();
    return { served: { endpoint, token: "", account: "", namespace: "" }, close: () => server.stop() };
  },
  async vault() {
    const server = await startVaultServer();
    return {
      served: { endpoint: server.url, token: server.rootToken, account: "", namespace: "" },
      close: () => server.close(),
    };
  },
  async gcp() {
    const server = await startGcpSecretManagerServer();
    return {
      served: { endpoint: `127.0.0.1:${server.port}`, token: "", account: server.projectId, namespace: "" },
      close: () => server.close(),
    };
  },
  async azure() {
    const token = `kv-bench-${randomBytes(8).toString("hex")}`;
    const server = await KeyVaultServer.start({ tokens: { [token]: "all" } });
    return {
      served: { endpoint: server.url, token, account: "", namespace: "" },
      close: () => server.close(),
    };
  },
  async cloudflare() {
    const account = randomBytes(16).toString("hex");
    const namespace = randomBytes(16).toString("hex");
    const token = `cf-bench-${randomBytes(16).toString("hex")}`;
    const server = await startCloudflareKvServer({
      accountId: account,
      namespaceId: namespace,
      apiToken: token,
    });
    return { served: { endpoint: server.baseUrl, token, account, namespace }, close: () => server.close() };
  },
  async openai() {
    const token = `sk-bench${randomBytes(20).toString("hex")}`;
    const server = await startOpenAIServer({ apiKey: token });
    // why: the stand-in records every request for tests; a bench's thousands would pile up here.
    const forget = setInterval(() => {
      server.requests.length = 0;
    }, 1_000);
    return {
      served: { endpoint: server.url, token, account: "", namespace: "" },
      close: () => {
        clearInterval(forget);
        return server.close();
      },
    };
  },
};

const kind = process.argv[2] as ServedKind;
const start = servers[kind];
if (!start) throw new Error(`Unknown server ${kind}; one of ${Object.keys(servers).join(", ")}.`);
const { served, close } = await start();
process.stdout.write(`${JSON.stringify(served)}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void close().then(() => process.exit(0));
});
