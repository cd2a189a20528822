/**
 * Canaries: the access and refresh tokens, the client secret and the PKCE code verifier appear in
 * no error, printed output, audit event, status event, masked view or HTTP problem response,
 * whatever the flow does.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemResponse, toProblem } from "../../src/http/problem.js";
import { oauthHttpConnector, tokenCredentialName } from "../../src/oauth/index.js";
import { assertNoLeak } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { CLIENT_SECRET, REDIRECT_URI, startTestProvider, type TestProvider } from "./support/provider.js";
import { connect, setupOAuth } from "./support/setup.js";

let server: TestProvider;
let api: Server;
let apiUrl: string;
const secrets: string[] = [CLIENT_SECRET];
guardOutput(() => secrets);

beforeAll(async () => {
  server = await startTestProvider();
  api = createServer((_request, response) => {
    response.writeHead(401, { "content-type": "application/json" });
    response.end("{}");
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => api.close(resolve));
  await server.close();
});

describe("secrets never leave", () => {
  it("tokens, client secret and code verifier are in no error, audit event, status event or masked view", async () => {
    const setup = setupOAuth(server, { refreshSkewMs: 5_000 });
    const { oauth, credentials, events } = setup;
    const failures: unknown[] = [];

    // a pending authorization: its code verifier is a canary too
    const started = await oauth.start({ tenantId: "c1", provider: "static", redirectUri: REDIRECT_URI });
    const pending = (await credentials.listCredentials("credkit.oauth")).items[0];
    const verifier = (await credentials.getCredentials(pending?.connectionId ?? "", "credkit.oauth"))
      .codeVerifier;
    secrets.push(verifier?.reveal() ?? "missing");
    const callback = await server.authorize(started.url.href);
    callback.searchParams.set("iss", "https://attacker.example");
    failures.push(await oauth.complete(callback).catch((error) => error));

    const id = await connect(server, oauth, "c1");
    const name = tokenCredentialName(id);
    const first = await credentials.getCredentials(name, "c1");
    secrets.push(first.accessToken?.reveal() ?? "", first.refreshToken?.reveal() ?? "");

    // transient and fatal refresh failures, a bad reconnect, an API that refuses the token
    await credentials.updateCredentials(name, "c1", { expiresAt: new Date(Date.now() - 1000).toISOString() });
    server.failNextTokenRequests(1, 503, { error: "server_error" });
    failures.push(await oauth.getAccessToken("c1", id).catch((error) => error));
    server.failNextTokenRequests(1, 400, {
      error: "invalid_grant",
      error_description: first.refreshToken?.reveal() ?? "",
    });
    failures.push(await oauth.getAccessToken("c1", id).catch((error) => error));
    const renewed = await oauth.getAccessToken("c1", id);
    const after = await credentials.getCredentials(name, "c1");
    secrets.push(renewed.reveal(), after.refreshToken?.reveal() ?? "");
    await using http = await oauthHttpConnector(
      oauth,
      { tenantId: "c1", connectionId: id },
      { baseURL: apiUrl },
    );
    failures.push(await http.get("/refused").catch((error) => error));
    const latest = await credentials.getCredentials(name, "c1");
    secrets.push(latest.accessToken?.reveal() ?? "", latest.refreshToken?.reveal() ?? "");

    const masked = await oauth.service("c1").getMaskedCredentials(id);
    const connection = await oauth.service("c1").get(id);
    // each failure as the HTTP API would answer it (problem+json body and headers)
    const responses = await Promise.all(
      failures.map(async (failure) => {
        const { problem, headers } = toProblem(failure);
        const response = problemResponse(problem, headers);
        return { body: await response.text(), headers: [...response.headers] };
      }),
    );
    expect(failures.filter((failure) => failure instanceof Error)).toHaveLength(4);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      for (const failure of failures) assertNoLeak(failure, secret);
      assertNoLeak(responses, secret);
      assertNoLeak(credentials.audit.events(), secret);
      assertNoLeak(events, secret);
      assertNoLeak(masked, secret);
      assertNoLeak(connection, secret);
      assertNoLeak(await credentials.describeCredentials(name, "c1"), secret);
    }
  });
});
