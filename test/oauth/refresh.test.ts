/**
 * Tokens in use against a real oidc-provider (refresh-token rotation on): refresh ahead of expiry,
 * rotation, single-flight, transient failures that change nothing, a dead grant (`error` /
 * `refresh_failed`) and its recovery, invalid_grant after another replica rotated, revocation on
 * disconnect, and connectors that refresh once on a 401.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import type { CredentialManager } from "../../src/core/credential-manager.js";
import { oauthHttpConnector, tokenCredentialName } from "../../src/oauth/index.js";
import { CLIENT_ID, CLIENT_SECRET, startTestProvider, type TestProvider } from "./support/provider.js";
import { connect, memoryManager, setupOAuth } from "./support/setup.js";

let server: TestProvider;
beforeAll(async () => {
  server = await startTestProvider();
});
afterAll(async () => {
  await server.close();
});

const refreshes = () => server.counts.grants.get("refresh_token") ?? 0;

async function stored(credentials: CredentialManager, tenantId: string, id: string) {
  const fields = await credentials.getCredentials(tokenCredentialName(id), tenantId, { forceRefresh: true });
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.reveal()]));
}

/** Marks the stored access token as expiring at `at` (the provider's tokens stay as they are). */
async function expireAt(
  credentials: CredentialManager,
  tenantId: string,
  id: string,
  at = Date.now() - 1000,
) {
  await credentials.updateCredentials(tokenCredentialName(id), tenantId, {
    expiresAt: new Date(at).toISOString(),
  });
}

describe("refresh", () => {
  it("refreshes ahead of expiry by the configured skew, rotating the refresh token", async () => {
    const { oauth, credentials } = setupOAuth(server, { refreshSkewMs: 10_000 });
    const id = await connect(server, oauth, "r1");
    const before = await stored(credentials, "r1", id);
    await expireAt(credentials, "r1", id, Date.now() + 30_000);
    const calls = refreshes();
    expect((await oauth.getAccessToken("r1", id)).reveal()).toBe(before.accessToken);
    expect(refreshes()).toBe(calls);

    await expireAt(credentials, "r1", id, Date.now() + 5_000); // inside the skew
    const token = await oauth.getAccessToken("r1", id);
    expect(refreshes()).toBe(calls + 1);
    const after = await stored(credentials, "r1", id);
    expect(token.reveal()).toBe(after.accessToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after).not.toHaveProperty("leaseOwner");
    expect(after.issuer).toBe(server.issuer);
    expect(await server.accessTokenValid(token.reveal())).toBe(true);
    // rotation: the provider no longer accepts the old refresh token
    const old = await server.provider.RefreshToken.find(before.refreshToken ?? "");
    expect(old?.consumed ?? true).toBeTruthy();
  });

  it("200 concurrent callers on an expired token share one token-endpoint call", async () => {
    const { oauth, credentials } = setupOAuth(server);
    const id = await connect(server, oauth, "r2");
    await expireAt(credentials, "r2", id);
    const calls = refreshes();
    const tokens = await Promise.all(Array.from({ length: 200 }, () => oauth.getAccessToken("r2", id)));
    expect(refreshes()).toBe(calls + 1);
    expect(new Set(tokens.map((token) => token.reveal())).size).toBe(1);
  });

  it("a transient failure (503, 429, network) changes nothing stored and is not fatal", async () => {
    const { oauth, credentials, events } = setupOAuth(server);
    const id = await connect(server, oauth, "r3");
    await expireAt(credentials, "r3", id);
    const before = await stored(credentials, "r3", id);
    server.failNextTokenRequests(1, 503, { error: "temporarily_unavailable" });
    await expect(oauth.getAccessToken("r3", id)).rejects.toMatchObject({
      code: "unavailable",
      transient: true,
    });
    server.failNextTokenRequests(1, 429, { error: "slow_down" });
    await expect(oauth.getAccessToken("r3", id)).rejects.toMatchObject({
      code: "throttled",
      transient: true,
    });
    expect(await stored(credentials, "r3", id)).toEqual(before);
    expect((await oauth.service("r3").get(id)).status).toBe("active");

    const unreachable = setupOAuth(server, {
      credentials,
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(unreachable.oauth.getAccessToken("r3", id)).rejects.toMatchObject({ code: "unavailable" });
    expect(await stored(credentials, "r3", id)).toEqual(before);

    const token = await oauth.getAccessToken("r3", id);
    expect(await server.accessTokenValid(token.reveal())).toBe(true);
    expect(events.map((event) => event.to)).toEqual(["pending", "active"]);
  });

  it("a dead grant moves the connection to error (refresh_failed), keeps the tokens, and a later success recovers", async () => {
    const { oauth, credentials, events } = setupOAuth(server);
    const id = await connect(server, oauth, "r4");
    await expireAt(credentials, "r4", id);
    const before = await stored(credentials, "r4", id);
    server.failNextTokenRequests(1, 400, { error: "invalid_grant" });
    await expect(oauth.getAccessToken("r4", id)).rejects.toMatchObject({
      code: "oauth",
      reason: "refresh_failed",
      oauthError: "invalid_grant",
    });
    const failed = await oauth.service("r4").get(id);
    expect(failed.status).toBe("error");
    expect(failed.statusReason).toBe("refresh_failed");
    expect(await stored(credentials, "r4", id)).toEqual(before);

    await oauth.getAccessToken("r4", id);
    const recovered = await oauth.service("r4").get(id);
    expect(recovered.status).toBe("active");
    expect(events.slice(-2).map((event) => [event.to, event.reason])).toEqual([
      ["error", "refresh_failed"],
      ["active", "recovered"],
    ]);
  });

  it("after invalid_grant, a replica re-reads the store and uses the tokens another replica rotated", async () => {
    const credentials = memoryManager();
    const connections = memoryConnectionStore();
    const b = setupOAuth(server, { credentials, connections, refreshSkewMs: 5_000 });
    let interleave = true;
    const a = setupOAuth(server, {
      credentials,
      connections,
      refreshSkewMs: 5_000,
      refreshLeaseMs: 1, // A's lease lapses at once, so B may take over while A is in flight
      fetch: async (url, init) => {
        if (interleave && String(url).endsWith("/token")) {
          interleave = false;
          await b.oauth.getAccessToken("r5", id);
        }
        return fetch(url, init);
      },
    });
    const id = await connect(server, b.oauth, "r5");
    await expireAt(credentials, "r5", id);
    const token = await a.oauth.getAccessToken("r5", id);
    const now = await stored(credentials, "r5", id);
    expect(token.reveal()).toBe(now.accessToken);
    expect((await a.oauth.service("r5").get(id)).status).toBe("active");
    expect(a.events.some((event) => event.to === "error")).toBe(false);
  });
});

describe("disconnect", () => {
  it("revokes the tokens at the provider (RFC 7009), then deletes tokens and connection", async () => {
    const { oauth, credentials } = setupOAuth(server);
    const id = await connect(server, oauth, "d1", { provider: "static" });
    const tokens = await stored(credentials, "d1", id);
    expect(await server.accessTokenValid(tokens.accessToken ?? "")).toBe(true);
    const revocations = server.counts.paths.get("/token/revocation") ?? 0;
    expect(await oauth.disconnect("d1", id)).toEqual({ revoked: true });
    expect(server.counts.paths.get("/token/revocation")).toBe(revocations + 2);
    expect(await server.accessTokenValid(tokens.accessToken ?? "")).toBe(false);
    expect(await server.provider.RefreshToken.find(tokens.refreshToken ?? "")).toBeUndefined();
    await expect(oauth.service("d1").get(id)).rejects.toMatchObject({ code: "not_found" });
    await expect(credentials.getCredentials(tokenCredentialName(id), "d1")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("where the provider has no revocation endpoint, deletes without revoking", async () => {
    const norevoke = {
      issuer: server.issuer,
      authorizationEndpoint: `${server.issuer}/auth`,
      tokenEndpoint: `${server.issuer}/token`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      issParameter: true,
      scopes: ["repo"],
    };
    const { oauth, credentials } = setupOAuth(server, { providers: { norevoke } });
    const id = await connect(server, oauth, "d2", { provider: "norevoke" });
    const tokens = await stored(credentials, "d2", id);
    const revocations = server.counts.paths.get("/token/revocation") ?? 0;
    expect(await oauth.disconnect("d2", id)).toEqual({ revoked: false });
    expect(server.counts.paths.get("/token/revocation") ?? 0).toBe(revocations);
    expect(await server.accessTokenValid(tokens.accessToken ?? "")).toBe(true);
    await expect(oauth.service("d2").get(id)).rejects.toMatchObject({ code: "not_found" });
    await expect(credentials.getCredentials(tokenCredentialName(id), "d2")).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("connectors use the connection", () => {
  let api: Server;
  let apiUrl: string;
  let apiCalls: string[] = [];
  beforeAll(async () => {
    api = createServer(async (request, response) => {
      const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      apiCalls.push(token);
      const ok = request.url !== "/always-401" && (await server.accessTokenValid(token));
      response.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(ok ? { hello: "world" } : { error: "invalid_token" }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
  });

  it("the http connector sends the current token; a 401 forces one refresh and one retry", async () => {
    const { oauth, credentials } = setupOAuth(server, { refreshSkewMs: 5_000 });
    const id = await connect(server, oauth, "h1");
    await using http = await oauthHttpConnector(
      oauth,
      { tenantId: "h1", connectionId: id },
      { baseURL: apiUrl },
    );
    apiCalls = [];
    expect((await http.get("/hello")).data).toEqual({ hello: "world" });
    expect(apiCalls).toHaveLength(1);

    // the provider revokes the access token before its expiry: the API answers 401
    const first = await stored(credentials, "h1", id);
    await (await server.provider.AccessToken.find(first.accessToken ?? ""))?.destroy();
    const calls = refreshes();
    apiCalls = [];
    expect((await http.get("/hello")).data).toEqual({ hello: "world" });
    expect(refreshes()).toBe(calls + 1);
    expect(apiCalls).toHaveLength(2);
    expect(apiCalls[0]).toBe(first.accessToken);
    expect(apiCalls[1]).toBe((await stored(credentials, "h1", id)).accessToken);

    // an API that refuses every token: one refresh, one retry, then the 401 is the answer
    apiCalls = [];
    await expect(http.get("/always-401")).rejects.toThrow(/401/);
    expect(apiCalls).toHaveLength(2);
    expect(refreshes()).toBe(calls + 2);
  });
});
