/**
 * Overhead of each remote backend: an uncached `getCredentials` against a loopback-served store
 * (AWS, Vault, GCP, Azure, Cloudflare REST) or PostgreSQL, against a bare read of the same record
 * as an application writes it without credkit, to the same server: the official SDK with its
 * defaults (node-vault for Vault), `fetch` for Cloudflare's REST API, a plain `pool.query` for
 * PostgreSQL. Target: ≤ 1.15× (the wrapper, including envelope decryption, costs little next to a
 * round trip). The clients credkit builds send over undici (AWS, Vault, Azure, Cloudflare) and
 * read PostgreSQL with a prepared statement, so a ratio can fall below 1.
 *
 * Each loopback server runs in a process of its own (bench/loopback-server.ts), as a remote server
 * would: its request handling is not on the measured event loop. Per store, the two calls run in
 * pairs for a fixed time after a warm-up (`timePairs`), and the ratio is the median of the
 * per-pair ratios (`pairRatio`), printed with the lowest and highest median of the run's
 * quarters (`pairedMeasurement`). `CREDKIT_BENCH_SAME_CALL=1` measures the bare read against
 * itself instead (an A/A check of the method: every ratio should read 1.00).
 *
 *   npm run build && tsx bench/run.ts remoteOverhead
 */
// why: nothing may reach a metadata server or read credentials from the environment.
process.env.METADATA_SERVER_DETECTION = "none";
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "AWS_PROFILE", "AZURE_CLIENT_SECRET"]) {
  delete process.env[name];
}

import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretClient } from "@azure/keyvault-secrets";
import nodeVault from "node-vault";
import pg from "pg";
import { secretName as awsSecretName } from "../src/backends/aws-secrets-manager/names.js";
import { secretName as azureSecretName } from "../src/backends/azure-key-vault/names.js";
import { keyLayout } from "../src/backends/cloudflare-kv/layout.js";
import { secretNames } from "../src/backends/gcp-secret-manager/names.js";
import { recordPaths } from "../src/backends/vault/records.js";
import type { Backend } from "../src/core/backend.js";
import type { BackendKey } from "../src/core/key-encoding.js";
import { encodeKey } from "../src/core/key-encoding.js";
import { built, CredentialManager, LocalKeyring } from "./built.js";
import { pairedMeasurement } from "./compare.js";
import { serve } from "./serve.js";
import type { Measurement } from "./verdict.js";

/** Unmeasured pairs first, per store (JIT, connection pools). */
const WARM_UP_MS = 1_000;
/** Measured pairs, per store. */
const MEASURE_MS = 4_000;
const TARGET = 1.15;
const TENANT = "tenant-1";
const CONNECTION = "openai";
const POSTGRES_URL = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** One store set up for the comparison: its backend, a bare read of the record, and cleanup. */
interface Subject {
  readonly store: string;
  readonly backend: Backend;
  /** The bare SDK read of the record `backend` holds for (TENANT, CONNECTION). */
  bareRead(key: BackendKey): Promise<unknown>;
  close(): Promise<void>;
}

async function backendModule<T>(type: string): Promise<T> {
  return (await import(built(`backends/${type}/index.js`))) as T;
}

async function aws(): Promise<Subject> {
  const { awsSecretsManagerBackend } =
    await backendModule<typeof import("../src/backends/aws-secrets-manager/index.js")>("aws-secrets-manager");
  const server = await serve("aws");
  const credentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret-access-key" };
  const settings = { endpoint: server.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
  const client = new SecretsManagerClient(settings);
  const prefix = "bench/";
  return {
    store: "AWS Secrets Manager",
    backend: awsSecretsManagerBackend({ ...settings, prefix }),
    bareRead: (key) => client.send(new GetSecretValueCommand({ SecretId: awsSecretName(prefix, key) })),
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

async function vault(): Promise<Subject> {
  const { vaultBackend } = await backendModule<typeof import("../src/backends/vault/index.js")>("vault");
  const server = await serve("vault");
  const client = nodeVault({ endpoint: server.endpoint, token: server.token, noCustomHTTPVerbs: true });
  return {
    store: "HashiCorp Vault",
    backend: vaultBackend({ endpoint: server.endpoint, auth: { method: "token", token: server.token } }),
    bareRead: (key) =>
      client.read(recordPaths("secret", "credkit", key.tenantSegment, key.connectionSegment).data),
    close: () => server.close(),
  };
}

async function gcp(): Promise<Subject> {
  const { gcpSecretManagerBackend } =
    await backendModule<typeof import("../src/backends/gcp-secret-manager/index.js")>("gcp-secret-manager");
  const server = await serve("gcp");
  const require = createRequire(import.meta.url);
  const sdkEntry = require.resolve("@google-cloud/secret-manager");
  const sdk = require(sdkEntry) as typeof import("@google-cloud/secret-manager");
  // why: insecure channel credentials must come from the grpc-js copy google-gax itself uses.
  const gax = createRequire(createRequire(sdkEntry).resolve("google-gax"))("google-gax") as {
    grpc: { credentials: { createInsecure(): unknown } };
  };
  const [host, port] = server.endpoint.split(":") as [string, string];
  const connection = {
    apiEndpoint: host,
    port: Number(port),
    universeDomain: "googleapis.com",
    sslCreds: gax.grpc.credentials.createInsecure(),
  };
  const client = new sdk.SecretManagerServiceClient(connection as never);
  const names = secretNames(server.account, "credkit-");
  const backend = gcpSecretManagerBackend({
    projectId: server.account,
    endpoint: server.endpoint,
    universeDomain: connection.universeDomain,
    clientOptions: { sslCreds: connection.sslCreds },
  });
  return {
    store: "GCP Secret Manager",
    backend,
    bareRead: (key) => client.accessSecretVersion({ name: names.version(key, "latest") }),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

async function azure(): Promise<Subject> {
  const { azureKeyVaultBackend } =
    await backendModule<typeof import("../src/backends/azure-key-vault/index.js")>("azure-key-vault");
  const server = await serve("azure");
  const { token } = server;
  const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const clientOptions = { allowInsecureConnection: true, disableChallengeResourceVerification: true };
  const client = new SecretClient(server.endpoint, credential, {
    ...clientOptions,
    retryOptions: { maxRetries: 0 },
  });
  return {
    store: "Azure Key Vault",
    backend: azureKeyVaultBackend({ endpoint: server.endpoint, credential, clientOptions, env: {} }),
    bareRead: (key) => client.getSecret(azureSecretName("credkit-", key)),
    close: () => server.close(),
  };
}

async function cloudflare(): Promise<Subject> {
  const { cloudflareKvBackend } =
    await backendModule<typeof import("../src/backends/cloudflare-kv/index.js")>("cloudflare-kv");
  const server = await serve("cloudflare");
  const account = { accountId: server.account, namespaceId: server.namespace };
  const apiToken = server.token;
  const base = `${server.endpoint}/accounts/${account.accountId}/storage/kv/namespaces/${account.namespaceId}`;
  const layout = keyLayout("credkit/");
  return {
    store: "Cloudflare KV (REST)",
    backend: cloudflareKvBackend({ ...account, apiToken, endpoint: server.endpoint, env: {} }),
    bareRead: async (key) => {
      const response = await fetch(`${base}/values/${encodeURIComponent(layout.head(key.id))}`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      return response.text();
    },
    close: () => server.close(),
  };
}

async function postgres(): Promise<Subject> {
  const { postgresBackend } =
    await backendModule<typeof import("../src/backends/postgres/index.js")>("postgres");
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const backend = postgresBackend({ connectionString: POSTGRES_URL, schema });
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  return {
    store: "PostgreSQL",
    backend,
    bareRead: (key) =>
      pool.query(
        `SELECT * FROM "${schema}".credkit_credentials WHERE tenant_key = $1 AND name_key = $2 AND deleted_at IS NULL`,
        [key.tenantSegment, key.connectionSegment],
      ),
    close: async () => {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

/** getCredentials (uncached) / bare read of the same record, for one store. */
async function overhead(setUp: () => Promise<Subject>): Promise<Measurement> {
  const subject = await setUp();
  try {
    const manager = new CredentialManager({
      backend: subject.backend,
      encryption: new LocalKeyring(randomBytes(32)),
      cache: false,
    });
    await manager.storeCredentials(CONNECTION, TENANT, {
      apiKey: `sk-bench-${randomBytes(24).toString("hex")}`,
    });
    const key = encodeKey(TENANT, CONNECTION, subject.backend.capabilities.maxKeyLength);
    return await pairedMeasurement({
      name: `${subject.store}: uncached getCredentials / bare SDK read (same loopback server, own process)`,
      sameCallName: `${subject.store}: bare SDK read / bare SDK read (A/A check of the method)`,
      atMost: TARGET,
      floor: () => subject.bareRead(key),
      subject: () => manager.getCredentials(CONNECTION, TENANT),
      floorUs: "bareReadUs",
      subjectUs: "getCredentialsUs",
      timing: { warmUpMs: WARM_UP_MS, measureMs: MEASURE_MS },
    });
  } finally {
    await subject.backend.close?.();
    await subject.close();
  }
}

/** The measurements, one per store. */
export async function remoteOverheadBench(): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (const setUp of [aws, vault, gcp, azure, cloudflare, postgres]) results.push(await overhead(setUp));
  return results;
}
