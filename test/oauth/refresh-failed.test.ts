/**
 * A dead grant end to end, against a real oidc-provider and through the `credkit/ops` event
 * stream: transient token-endpoint failures never invalidate; a refresh token revoked at the
 * provider (RFC 7009) moves the connection to `error` with reason `refresh_failed`, keeps the
 * stored tokens, and publishes `connection.refresh_failed`; reconnecting publishes
 * `connection.recovered` and tokens flow again. No token reaches an event.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialManager } from "../../src/core/credential-manager.js";
import { tokenCredentialName } from "../../src/oauth/index.js";
import { type CredkitEvent, createEventStream, statusEvents } from "../../src/ops/index.js";
import { CLIENT_ID, CLIENT_SECRET, startTestProvider, type TestProvider } from "./support/provider.js";
import { connect, setupOAuth } from "./support/setup.js";

let server: TestProvider;
beforeAll(async () => {
  server = await startTestProvider();
});
afterAll(async () => {
  await server.close();
});

async function storedTokens(credentials: CredentialManager, tenantId: string, id: string) {
  const fields = await credentials.getCredentials(tokenCredentialName(id), tenantId, {
    forceRefresh: true,
    allowExpired: true,
  });
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.reveal()]));
}

/** What a user does at the provider's "revoke access" page: RFC 7009 revocation of the grant. */
async function revokeAtProvider(refreshToken: string): Promise<void> {
  const response = await fetch(`${server.issuer}/token/revocation`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
    },
    body: new URLSearchParams({ token: refreshToken, token_type_hint: "refresh_token" }),
  });
  expect(response.status).toBe(200);
}

describe("refresh_failed end to end", () => {
  it("transient failures change nothing; a revoked grant → error/refresh_failed; reconnect → recovered", async () => {
    const stream = createEventStream();
    const seen: CredkitEvent[] = [];
    stream.on("*", (event) => {
      seen.push(event);
    });
    const { oauth, credentials } = setupOAuth(server, { onStatusChange: statusEvents(stream) });
    const tenantId = "dead-grant";
    const id = await connect(server, oauth, tenantId);
    const expire = () =>
      credentials.updateCredentials(tokenCredentialName(id), tenantId, {
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
    await expire();
    const before = await storedTokens(credentials, tenantId, id);
    const planted = [before.accessToken, before.refreshToken, CLIENT_SECRET] as string[];

    // transient: 503, 429, 500 from the token endpoint → typed, nothing stored changes, still active
    for (const status of [503, 429, 500]) {
      server.failNextTokenRequests(1, status, { error: "temporarily_unavailable" });
      await expect(oauth.getAccessToken(tenantId, id)).rejects.toMatchObject({ transient: true });
    }
    expect(await storedTokens(credentials, tenantId, id)).toEqual(before);
    expect((await oauth.service(tenantId).get(id)).status).toBe("active");
    expect(seen.map((event) => event.type)).not.toContain("connection.refresh_failed");

    // the user revokes the grant at the provider: the next refresh gets a real invalid_grant
    await revokeAtProvider(before.refreshToken as string);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(oauth.getAccessToken(tenantId, id)).rejects.toMatchObject({
        code: "oauth",
        reason: "refresh_failed",
        oauthError: "invalid_grant",
      });
    }
    const failed = await oauth.service(tenantId).get(id);
    expect([failed.status, failed.statusReason]).toEqual(["error", "refresh_failed"]);
    expect(await storedTokens(credentials, tenantId, id)).toEqual(before);
    const refreshFailed = seen.filter((event) => event.type === "connection.refresh_failed");
    expect(refreshFailed).toHaveLength(1);
    expect(refreshFailed[0]).toMatchObject({ tenantId, connectionId: id, from: "active", to: "error" });

    // reconnect: same id, new grant, recovered
    expect(await connect(server, oauth, tenantId, { connectionId: id })).toBe(id);
    expect(seen.filter((event) => event.type === "connection.recovered")).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ type: "connection.recovered", connectionId: id, to: "active" });
    await expire();
    const token = await oauth.getAccessToken(tenantId, id);
    expect(await server.accessTokenValid(token.reveal())).toBe(true);
    expect((await oauth.service(tenantId).get(id)).status).toBe("active");

    const published = JSON.stringify(seen);
    for (const secret of [...planted, token.reveal()]) expect(published).not.toContain(secret);
  });
});
