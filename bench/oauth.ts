/**
 * OAuth connections in `npm run bench`, against a real oidc-provider on 127.0.0.1
 * (test/oauth/support/provider.ts: refresh-token rotation on, run by bench/oauth-provider.ts in a
 * child process) through the built package. Token calls are counted on the wire (every request
 * credkit sends to the token endpoint goes through the counting `fetch`):
 *
 * 1. Token-endpoint calls for 1,000 concurrent getAccessToken on an expired token.     target = 1
 * 2. A valid-token getAccessToken vs a cache hit of getCredentials of the same record. target ≤ 3×
 *
 * Why ≤ 3×: a valid-token lookup is one cache hit plus the expiry check and one more promise
 * step; every outbound API call of a connector pays it. An uncached read (a store read and an
 * AES-GCM decrypt) costs well over ten cache hits, so a ratio above 3 means the hot path stopped
 * being a cache hit, or grew per-call work of that order (copying every field, parsing dates).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { built, CredentialManager, LocalKeyring, memoryBackend } from "./built.js";
import { compare } from "./compare.js";
import { type Measurement, measurement, roundTo } from "./verdict.js";

/** Must match bench/oauth-provider.ts (not imported: that would load oidc-provider here). */
const REPLY = "@credkit-bench ";

const { createOAuth, tokenCredentialName } = (await import(
  built("oauth/index.js")
)) as typeof import("../src/oauth/index.js");

const CALLERS = 1000;
const TENANT = "bench";

/** The OAuth server process: its issuer, and `authorize(url)` → the callback URL. */
async function startProvider() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./oauth-provider.ts", import.meta.url))],
    { stdio: ["pipe", "pipe", "ignore"] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    for (;;) {
      const line = await lines.next();
      if (line.done) throw new Error("The bench OAuth server exited.");
      if (line.value.startsWith(REPLY)) return line.value.slice(REPLY.length);
    }
  };
  const { issuer, clientId, clientSecret, redirectUri } = JSON.parse(await next()) as {
    issuer: string;
    clientId: string;
    clientSecret: string;
    redirectUri: string;
  };
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    async authorize(url: URL): Promise<URL> {
      child.stdin.write(`${url.href}\n`);
      return new URL(await next());
    },
    close: () => child.kill(),
  };
}

/** Counts refresh-token grants sent to the token endpoint. */
function countingFetch() {
  const counter = { refreshes: 0 };
  const counted: typeof fetch = (input, init) => {
    if (String(input).endsWith("/token") && String(init?.body).includes("grant_type=refresh_token")) {
      counter.refreshes++;
    }
    return fetch(input, init);
  };
  return { counter, fetch: counted };
}

export async function oauthBench(): Promise<Measurement[]> {
  const server = await startProvider();
  const { counter, fetch } = countingFetch();
  const credentials = new CredentialManager({
    backend: memoryBackend(),
    encryption: new LocalKeyring(randomBytes(32)),
  });
  try {
    const oauth = createOAuth({
      credentials,
      providers: {
        test: {
          issuer: server.issuer,
          clientId: server.clientId,
          clientSecret: server.clientSecret,
          scopes: ["repo"],
        },
      },
      allowInsecureRequests: true,
      fetch,
    });
    const started = await oauth.start({
      tenantId: TENANT,
      provider: "test",
      redirectUri: server.redirectUri,
    });
    const { connection } = await oauth.complete(await server.authorize(started.url));
    const tokens = tokenCredentialName(connection.id);
    await credentials.updateCredentials(tokens, TENANT, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const before = counter.refreshes;
    const answers = await Promise.all(
      Array.from({ length: CALLERS }, () => oauth.getAccessToken(TENANT, connection.id)),
    );
    const tokenCalls = counter.refreshes - before;
    const distinct = new Set(answers.map((token) => token.reveal())).size;

    const { floorNs, subjectNs } = await compare(
      50_000,
      () => credentials.getCredentials(tokens, TENANT),
      () => oauth.getAccessToken(TENANT, connection.id),
    );
    return [
      measurement(
        `token-endpoint calls for ${CALLERS.toLocaleString("en")} concurrent getAccessToken on an expired token`,
        tokenCalls,
        "",
        { equals: 1 },
        { distinctTokensReturned: distinct },
      ),
      measurement(
        "valid-token getAccessToken / cache-hit getCredentials of the same record",
        subjectNs / floorNs,
        "×",
        { atMost: 3 },
        { getAccessTokenNs: roundTo(subjectNs), cacheHitNs: roundTo(floorNs) },
      ),
    ];
  } finally {
    await credentials.close();
    server.close();
  }
}
