/**
 * The optional refresh locks on a store whose compare-and-set is best-effort: the loopback
 * Cloudflare Workers KV REST API (its head check and write are two requests, slowed here so
 * replicas overlap). Five replicas (each its own manager and store client) × 10 callers on an
 * expired token: with `postgresAdvisoryLock` or `redisLock`, exactly one token-endpoint call;
 * without a lock, the claims overlap and the token endpoint is called more than once.
 */
import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudflareKvBackend } from "../../src/backends/cloudflare-kv/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  createOAuth,
  postgresAdvisoryLock,
  type RefreshLock,
  redisLock,
  tokenCredentialName,
} from "../../src/oauth/index.js";
import { type CloudflareKvServer, startCloudflareKvServer } from "../servers/cloudflare-kv/server.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import { POSTGRES_URL, testPool, unreachable } from "../support/postgres.js";
import { startTestProvider, type TestProvider } from "./support/provider.js";
import { connect, providers } from "./support/setup.js";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const NAMESPACE = "fedcba9876543210fedcba9876543210";
const TOKEN = "cf-lock-test-token-000000000000000000000000";
const REDIS_URL = process.env.CREDKIT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

let server: TestProvider;
let kv: CloudflareKvServer;
let pool: pg.Pool | undefined;
let redis: Redis | undefined;

beforeAll(async () => {
  server = await startTestProvider();
  kv = await startCloudflareKvServer({ accountId: ACCOUNT, namespaceId: NAMESPACE, apiToken: TOKEN });
  if (!unreachable) pool = testPool(POSTGRES_URL, 10);
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch(() => {
    redis = undefined;
  });
});
afterAll(async () => {
  await server.close();
  await kv.close();
  await pool?.end();
  redis?.disconnect();
});

const refreshes = () => server.counts.grants.get("refresh_token") ?? 0;

function replica(prefix: string, lock: RefreshLock | undefined) {
  const credentials = new CredentialManager({
    backend: cloudflareKvBackend({
      accountId: ACCOUNT,
      namespaceId: NAMESPACE,
      apiToken: TOKEN,
      endpoint: kv.baseUrl,
      env: {},
      prefix,
    }),
    encryption: keyring(),
  });
  const oauth = createOAuth({
    credentials,
    providers: providers(server),
    allowInsecureRequests: true,
    refreshSkewMs: 5_000,
    ...(lock ? { lock } : {}),
  });
  return { credentials, oauth };
}

/** Five replicas × 10 callers on an expired token; the token-endpoint calls it took. */
async function race(
  lock: () => RefreshLock | undefined,
): Promise<{ calls: number; tokens: Set<string>; errors: number }> {
  const prefix = `lock${uniqueId()}/`;
  const first = replica(prefix, lock());
  const tenantId = uniqueId("tenant");
  const id = await connect(server, first.oauth, tenantId);
  await first.credentials.updateCredentials(tokenCredentialName(id), tenantId, {
    expiresAt: new Date(Date.now() - 1000).toISOString(),
  });
  const replicas = [first, ...Array.from({ length: 4 }, () => replica(prefix, lock()))];
  const before = refreshes();
  kv.latencyMs = 40; // the head check and the write of a claim are far enough apart to overlap
  try {
    const settled = await Promise.allSettled(
      replicas.flatMap(({ oauth }) => Array.from({ length: 10 }, () => oauth.getAccessToken(tenantId, id))),
    );
    const tokens = new Set(
      settled.flatMap((result) => (result.status === "fulfilled" ? [result.value.reveal()] : [])),
    );
    const errors = settled.filter((result) => result.status === "rejected").length;
    return { calls: refreshes() - before, tokens, errors };
  } finally {
    kv.latencyMs = 0;
    await Promise.all(replicas.map(({ credentials }) => credentials.close()));
  }
}

describe("refresh locks on a best-effort store (Cloudflare KV loopback)", () => {
  it("without a lock, overlapping claims call the token endpoint more than once", async () => {
    const { calls } = await race(() => undefined);
    expect(calls).toBeGreaterThan(1);
  }, 120_000);

  it.skipIf(unreachable && process.env.CI !== "true")(
    "with postgresAdvisoryLock: exactly one token-endpoint call, one token for every caller",
    async () => {
      const { calls, tokens, errors } = await race(() => postgresAdvisoryLock(pool as pg.Pool));
      expect(errors).toBe(0);
      expect(calls).toBe(1);
      expect(tokens.size).toBe(1);
      expect(await server.accessTokenValid([...tokens][0] ?? "")).toBe(true);
    },
    120_000,
  );

  it("with redisLock: exactly one token-endpoint call, one token for every caller", async (test) => {
    if (!redis && process.env.CI !== "true") return test.skip("no Redis on 127.0.0.1:6379");
    const client = redis as Redis;
    const { calls, tokens, errors } = await race(() =>
      redisLock({ command: ([name, ...rest]) => client.call(name as string, ...rest) }),
    );
    expect(errors).toBe(0);
    expect(calls).toBe(1);
    expect(tokens.size).toBe(1);
    expect(await server.accessTokenValid([...tokens][0] ?? "")).toBe(true);
  }, 120_000);
});
