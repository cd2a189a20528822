/**
 * One replica for the multi-process refresh tests. Argument: JSON of `WorkerConfig`.
 *   race: `callers` concurrent getAccessToken calls; prints JSON { tokens, errors }.
 *   stall: claims the refresh lease, prints "CLAIMED" when its token request starts, and hangs
 *     there until it is killed.
 */
import { awsSecretsManagerBackend } from "../../../src/backends/aws-secrets-manager/index.js";
import { fileBackend } from "../../../src/backends/file/index.js";
import { postgresBackend } from "../../../src/backends/postgres/index.js";
import { vaultBackend } from "../../../src/backends/vault/index.js";
import type { Backend } from "../../../src/core/backend.js";
import { CredentialManager } from "../../../src/core/credential-manager.js";
import { createOAuth } from "../../../src/oauth/index.js";
import { keyring } from "../../support/fixtures.js";

export type StoreConfig =
  | { kind: "file"; directory: string }
  | { kind: "postgres"; connectionString: string; schema: string }
  | { kind: "aws"; endpoint: string }
  | { kind: "vault"; endpoint: string; token: string };

export interface WorkerConfig {
  mode: "race" | "stall";
  store: StoreConfig;
  issuer: string;
  clientId: string;
  clientSecret: string;
  tenantId: string;
  connectionId: string;
  callers: number;
  leaseMs: number;
}

export function storeBackend(store: StoreConfig): Backend {
  if (store.kind === "file") return fileBackend({ directory: store.directory });
  if (store.kind === "postgres") {
    return postgresBackend({ connectionString: store.connectionString, schema: store.schema });
  }
  if (store.kind === "vault") {
    return vaultBackend({ endpoint: store.endpoint, auth: { method: "token", token: store.token } });
  }
  return awsSecretsManagerBackend({
    endpoint: store.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDOAUTHRACE", secretAccessKey: "oauth-race-secret-access-key" },
    maxAttempts: 1,
    // why: ten processes share one loopback server on a loaded 2-core machine; a slow answer is
    // not what this test is about, a lost or doubled refresh is.
    timeoutMs: 60_000,
    prefix: "oauth-race/",
  });
}

if (process.argv[2]) {
  const config = JSON.parse(process.argv[2]) as WorkerConfig;
  const credentials = new CredentialManager({ backend: storeBackend(config.store), encryption: keyring() });
  const stall: typeof fetch = async (url, init) => {
    if (String(url).endsWith("/token")) {
      process.stdout.write("CLAIMED\n");
      await new Promise(() => undefined);
    }
    return fetch(url, init);
  };
  const oauth = createOAuth({
    credentials,
    providers: {
      test: { issuer: config.issuer, clientId: config.clientId, clientSecret: config.clientSecret },
    },
    allowInsecureRequests: true,
    // why: the ten workers start at once and fetch the discovery document from one loopback
    // provider in the test process; on a loaded machine an answer can take longer than the 10 s
    // default, and a slow answer is not what this test is about.
    timeoutMs: 60_000,
    refreshSkewMs: 5_000,
    refreshLeaseMs: config.leaseMs,
    ...(config.mode === "stall" ? { fetch: stall } : {}),
  });
  const results = await Promise.allSettled(
    Array.from({ length: config.callers }, () => oauth.getAccessToken(config.tenantId, config.connectionId)),
  );
  const tokens = [
    ...new Set(results.flatMap((result) => (result.status === "fulfilled" ? [result.value.reveal()] : []))),
  ];
  const errors = results.flatMap((result) =>
    result.status === "rejected"
      ? [`${(result.reason as Error).name}: ${(result.reason as Error).message}`]
      : [],
  );
  process.stdout.write(`${JSON.stringify({ tokens, errors })}\n`);
  await credentials.close();
}
