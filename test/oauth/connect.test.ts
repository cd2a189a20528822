/**
 * The connect flow against a real oidc-provider: start → authorization URL with state, PKCE and
 * nonce kept server-side; complete → tokens stored as an `oauth` credential and the connection
 * `active`; reconnect keeps id and history; every bad callback is a typed error storing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenCredentialName } from "../../src/oauth/index.js";
import { CLIENT_SECRET, REDIRECT_URI, startTestProvider, type TestProvider } from "./support/provider.js";
import { connect, setupOAuth } from "./support/setup.js";

let server: TestProvider;
beforeAll(async () => {
  server = await startTestProvider();
});
afterAll(async () => {
  await server.close();
});

describe("connect flow", () => {
  it("start → provider → complete stores tokens and an active connection (discovery and static endpoints)", async () => {
    for (const provider of ["test", "static"]) {
      const { oauth, credentials, events } = setupOAuth(server, { refreshSkewMs: 5_000 });
      const started = await oauth.start({ tenantId: "t1", provider, redirectUri: REDIRECT_URI });
      const url = started.url;
      expect(url.origin).toBe(server.issuer);
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
      expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get("state")).toBeTruthy();
      expect(url.searchParams.get("scope")).toBe("repo");

      const callback = await server.authorize(url.href);
      expect(callback.searchParams.get("iss")).toBe(server.issuer);
      const result = await oauth.complete(callback);
      expect(result.reconnected).toBe(false);
      expect(result.tenantId).toBe("t1");
      expect(result.connection.status).toBe("active");
      expect(result.connection.statusReason).toBe("authorized");
      expect(result.connection.id).toBe(started.connectionId);
      expect(events.map((event) => event.to)).toEqual(["pending", "active"]);

      const stored = await credentials.getCredentials(tokenCredentialName(started.connectionId), "t1");
      expect(Object.keys(stored).sort()).toEqual(
        ["accessToken", "expiresAt", "issuer", "provider", "refreshToken", "scope", "tokenType"].sort(),
      );
      expect(stored.issuer?.reveal()).toBe(server.issuer);
      expect(stored.tokenType?.reveal()).toBe("bearer");
      expect(stored.scope?.reveal()).toBe("repo");
      expect(Date.parse(stored.expiresAt?.reveal() ?? "")).toBeGreaterThan(Date.now());
      const info = await credentials.describeCredentials(tokenCredentialName(started.connectionId), "t1");
      expect(info.type).toBe("oauth");
      expect(await server.accessTokenValid(stored.accessToken?.reveal() ?? "")).toBe(true);
      const token = await oauth.getAccessToken("t1", started.connectionId);
      expect(token.equals(stored.accessToken?.reveal() ?? "")).toBe(true);
    }
  });

  it("the PKCE verifier is required: the token endpoint refuses a code exchanged without it", async () => {
    const { oauth } = setupOAuth(server, {
      providers: {
        nopkce: { issuer: server.issuer, clientId: "credkit-test", clientSecret: CLIENT_SECRET, pkce: false },
      },
    });
    const started = await oauth.start({ tenantId: "t1", provider: "nopkce", redirectUri: REDIRECT_URI });
    // oidc-provider requires PKCE: the authorization itself is refused and sent back as an error.
    const callback = await server.authorize(started.url.href);
    await expect(oauth.complete(callback)).rejects.toMatchObject({
      code: "oauth",
      reason: "authorization_denied",
    });
  });

  it("reconnect keeps the connection id and its history, with new tokens", async () => {
    const { oauth, credentials } = setupOAuth(server);
    const id = await connect(server, oauth, "t2");
    const before = await credentials.getCredentials(tokenCredentialName(id), "t2");
    const started = await oauth.start({
      tenantId: "t2",
      provider: "test",
      redirectUri: REDIRECT_URI,
      connectionId: id,
    });
    const result = await oauth.complete(await server.authorize(started.url.href));
    expect(result.reconnected).toBe(true);
    expect(result.connection.id).toBe(id);
    expect(result.connection.history.map((step) => step.reason)).toEqual([
      "created",
      "authorized",
      "authorized",
    ]);
    const after = await credentials.getCredentials(tokenCredentialName(id), "t2");
    expect(after.accessToken?.equals(before.accessToken?.reveal() ?? "")).toBe(false);
    expect((await oauth.service("t2").list()).items.map((record) => record.id)).toEqual([id]);
  });
});

describe("bad callbacks are typed errors and store nothing", () => {
  async function expectNothingStored(
    setup: ReturnType<typeof setupOAuth>,
    tenantId: string,
    connectionId: string,
  ) {
    expect((await setup.oauth.service(tenantId).list()).items).toEqual([]);
    await expect(
      setup.credentials.getCredentials(tokenCredentialName(connectionId), tenantId),
    ).rejects.toMatchObject({
      code: "not_found",
    });
  }

  async function started(setup: ReturnType<typeof setupOAuth>) {
    return setup.oauth.start({ tenantId: "bad", provider: "static", redirectUri: REDIRECT_URI });
  }

  it("unknown state, and no state at all", async () => {
    const setup = setupOAuth(server);
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href);
    callback.searchParams.set("state", "not-a-state-we-issued");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({
      code: "oauth",
      reason: "unknown_state",
    });
    callback.searchParams.delete("state");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "unknown_state" });
    await expectNothingStored(setup, "bad", connectionId);
  });

  it("expired state", async () => {
    const setup = setupOAuth(server, { stateTtlMs: 1 });
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "expired_state" });
    // removed on the way: a second try finds nothing
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "unknown_state" });
    await expectNothingStored(setup, "bad", connectionId);
  });

  it("reused state: after a completion, and between two concurrent callbacks", async () => {
    const setup = setupOAuth(server);
    const first = await started(setup);
    const callback = await server.authorize(first.url.href);
    await setup.oauth.complete(callback);
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "reused_state" });

    const second = await started(setup);
    const again = await server.authorize(second.url.href);
    const outcomes = await Promise.allSettled([setup.oauth.complete(again), setup.oauth.complete(again)]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const failed = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ reason: "reused_state" });
    // the refused callbacks stored nothing: one connection each, with one authorization
    const records = (await setup.oauth.service("bad").list()).items;
    expect(records.map((record) => record.id).sort()).toEqual(
      [first.connectionId, second.connectionId].sort(),
    );
    for (const record of records) {
      expect(record.history.map((step) => step.reason)).toEqual(["created", "authorized"]);
    }
  });

  it("expired pending authorizations, abandoned or completed, are swept; fresh ones stay usable", async () => {
    const setup = setupOAuth(server, { stateTtlMs: 400 });
    const pendingNames = async () =>
      (await setup.credentials.listCredentials("credkit.oauth")).items.map((item) => item.connectionId);
    const abandoned = await started(setup);
    const completed = await started(setup);
    const completedCallback = await server.authorize(completed.url.href);
    await setup.oauth.complete(completedCallback);
    const abandonedCallback = await server.authorize(abandoned.url.href);
    expect(await pendingNames()).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 450));

    const fresh = await started(setup); // sweeps first
    expect(await pendingNames()).toHaveLength(1);
    expect(await setup.oauth.sweepPendingAuthorizations()).toBe(0);
    await expect(setup.oauth.complete(abandonedCallback)).rejects.toMatchObject({ reason: "unknown_state" });
    await expect(setup.oauth.complete(completedCallback)).rejects.toMatchObject({ reason: "unknown_state" });
    const result = await setup.oauth.complete(await server.authorize(fresh.url.href));
    expect(result.connection.status).toBe("active");

    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await setup.oauth.sweepPendingAuthorizations()).toBe(1);
    expect(await pendingNames()).toEqual([]);
  });

  it("missing code", async () => {
    const setup = setupOAuth(server);
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href);
    callback.searchParams.delete("code");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "missing_code" });
    await expectNothingStored(setup, "bad", connectionId);
  });

  it("error=access_denied from the provider", async () => {
    const setup = setupOAuth(server);
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href, { deny: true });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({
      reason: "authorization_denied",
      oauthError: "access_denied",
    });
    await expectNothingStored(setup, "bad", connectionId);
  });

  it("mismatched issuer (RFC 9207), and a missing iss where the provider promises one", async () => {
    const setup = setupOAuth(server);
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href);
    callback.searchParams.set("iss", "https://attacker.example");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({ reason: "issuer_mismatch" });
    const other = await started(setup);
    const withoutIss = await server.authorize(other.url.href);
    withoutIss.searchParams.delete("iss");
    await expect(setup.oauth.complete(withoutIss)).rejects.toMatchObject({ reason: "issuer_mismatch" });
    await expectNothingStored(setup, "bad", connectionId);
    await expectNothingStored(setup, "bad", other.connectionId);
  });

  it("a token endpoint error (refused, or unavailable)", async () => {
    const setup = setupOAuth(server);
    const { connectionId, url } = await started(setup);
    const callback = await server.authorize(url.href);
    server.failNextTokenRequests(1, 400, { error: "invalid_grant" }, "authorization_code");
    await expect(setup.oauth.complete(callback)).rejects.toMatchObject({
      reason: "token_error",
      oauthError: "invalid_grant",
    });
    const other = await started(setup);
    const down = await server.authorize(other.url.href);
    server.failNextTokenRequests(1, 503, { error: "temporarily_unavailable" }, "authorization_code");
    await expect(setup.oauth.complete(down)).rejects.toMatchObject({ code: "unavailable", transient: true });
    await expectNothingStored(setup, "bad", connectionId);
    await expectNothingStored(setup, "bad", other.connectionId);
  });
});
