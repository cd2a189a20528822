/**
 * The MCP OAuth client provider drives a real `@modelcontextprotocol/sdk` client through the
 * authorization flow against oidc-provider (an MCP server over streamable HTTP on loopback that
 * requires the bearer token), stores client information, tokens and the code verifier in
 * credkit's store keyed by (tenant, issuer), and reuses the tokens on reconnect.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialManager } from "../../src/core/credential-manager.js";
import { credkitMcpOAuthProvider } from "../../src/oauth/index.js";
import { assertNoLeak, canary } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";
import { REDIRECT_URI, startTestProvider, type TestProvider } from "./support/provider.js";
import { memoryManager } from "./support/setup.js";

let server: TestProvider;
let mcp: Server;
const secrets: string[] = [];
guardOutput(() => secrets);
let mcpUrl: string;

beforeAll(async () => {
  server = await startTestProvider({ resourceIndicators: true });
  mcp = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (
      url.pathname === "/.well-known/oauth-protected-resource" ||
      url.pathname === "/.well-known/oauth-protected-resource/mcp"
    ) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          resource: mcpUrl,
          authorization_servers: [server.issuer],
          scopes_supported: ["mcp"],
        }),
      );
      return;
    }
    const token = (request.headers.authorization ?? "").replace(/^Bearer /i, "");
    if (!token || !(await server.accessTokenValid(token))) {
      const metadata = `${mcpUrl.replace(/\/mcp$/, "")}/.well-known/oauth-protected-resource`;
      response.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${metadata}"` });
      response.end();
      return;
    }
    const instance = new McpServer({ name: "credkit-test", version: "1.0.0" });
    instance.registerTool("whoami", { description: "Who the token is for." }, async () => {
      const found = await server.provider.AccessToken.find(token);
      return { content: [{ type: "text", text: String(found?.accountId) }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on("close", () => {
      void transport.close();
      void instance.close();
    });
    await instance.connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => mcp.listen(0, "127.0.0.1", resolve));
  mcpUrl = `http://127.0.0.1:${(mcp.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  mcp.closeAllConnections();
  await new Promise((resolve) => mcp.close(resolve));
  await server.close();
});

function providerFor(
  credentials: CredentialManager,
  tenantId: string,
  redirects: URL[],
  issuer = server.issuer,
) {
  return credkitMcpOAuthProvider({
    credentials,
    tenantId,
    issuer,
    redirectUrl: REDIRECT_URI,
    clientMetadata: {
      redirect_uris: [REDIRECT_URI],
      client_name: "credkit MCP test",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: "mcp",
    },
    onAuthorizationUrl: (url) => {
      redirects.push(url);
    },
  });
}

async function whoami(provider: OAuthClientProvider): Promise<string> {
  const client = new Client({ name: "credkit-test-client", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  try {
    const result = await client.callTool({ name: "whoami", arguments: {} });
    return (result.content as Array<{ text: string }>)[0]?.text ?? "";
  } finally {
    await client.close();
  }
}

describe("MCP OAuth client provider", () => {
  it("authorizes a real MCP client, stores everything in the tenant, reuses tokens on reconnect", async () => {
    const credentials = memoryManager();
    const redirects: URL[] = [];
    const provider: OAuthClientProvider = providerFor(credentials, "user-a", redirects);

    const client = new Client({ name: "credkit-test-client", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(redirects).toHaveLength(1);
    const authorization = redirects[0] as URL;
    expect(authorization.origin).toBe(server.issuer);
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
    expect(await provider.clientInformation()).toMatchObject({ client_id: expect.any(String) });
    const verifier = await provider.codeVerifier();
    expect(verifier.length).toBeGreaterThanOrEqual(43);

    const callback = await server.authorize(authorization.href);
    await transport.finishAuth(callback.searchParams.get("code") ?? "");
    const tokens = await provider.tokens();
    expect(tokens?.access_token).toBeTruthy();
    expect(await server.accessTokenValid(tokens?.access_token ?? "")).toBe(true);

    // stored as credentials of the tenant: an oauth credential for the tokens
    const names = (await credentials.listCredentials("user-a")).items.map((item) => [
      item.connectionId,
      item.type,
    ]);
    expect(names.filter(([, type]) => type === "oauth")).toHaveLength(1);
    expect(names).toHaveLength(3);

    // reconnect with a new provider instance (a restart): no new authorization, no new code exchange
    const exchanges = server.counts.grants.get("authorization_code") ?? 0;
    const again = providerFor(credentials, "user-a", redirects);
    expect(await whoami(again)).toBe("user-1");
    expect(redirects).toHaveLength(1);
    expect(server.counts.grants.get("authorization_code") ?? 0).toBe(exchanges);

    // another tenant sees none of it and must authorize on its own
    const other = providerFor(credentials, "user-b", redirects);
    expect(await other.tokens()).toBeUndefined();
    expect(await other.clientInformation()).toBeUndefined();
    await expect(whoami(other)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(redirects).toHaveLength(2);

    // the same tenant with another authorization server sees none of it either
    const otherIssuer = providerFor(credentials, "user-a", redirects, "https://issuer.example/other");
    expect(await otherIssuer.tokens()).toBeUndefined();
    expect(await otherIssuer.clientInformation()).toBeUndefined();
    expect(await again.tokens()).toBeDefined();

    await again.invalidateCredentials("tokens");
    expect(await again.tokens()).toBeUndefined();
    expect(await again.clientInformation()).toBeDefined();
  });

  it("keeps its stored tokens, code verifier and client secret out of every error, audit event and view", async () => {
    const credentials = memoryManager();
    const redirects: URL[] = [];
    const provider = providerFor(credentials, "user-c", redirects);
    const client = new Client({ name: "credkit-test-client", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    secrets.push(await provider.codeVerifier());
    const callback = await server.authorize((redirects[0] as URL).href);
    await transport.finishAuth(callback.searchParams.get("code") ?? "");
    const tokens = await provider.tokens();
    secrets.push(tokens?.access_token ?? "", tokens?.refresh_token ?? "");

    // a registration with a client secret, then a stored registration that is no longer JSON
    const clientSecret = canary("mcp-client-secret");
    secrets.push(clientSecret);
    await provider.saveClientInformation({ client_id: "registered", client_secret: clientSecret });
    expect((await provider.clientInformation())?.client_secret).toBe(clientSecret);
    const failures: unknown[] = [];
    await credentials.updateCredentials(
      (await credentials.listCredentials("user-c")).items.find((item) =>
        item.connectionId.startsWith("mcp-client-"),
      )?.connectionId ?? "",
      "user-c",
      { information: clientSecret },
    );
    failures.push(await provider.clientInformation().catch((error) => error));
    await provider.invalidateCredentials("verifier");
    failures.push(await provider.codeVerifier().catch((error) => error));

    expect(failures.every((failure) => failure instanceof Error)).toBe(true);
    expect((failures[0] as { code?: string }).code).toBe("integrity");
    expect(String(failures[0])).not.toContain(clientSecret.slice(0, 8));
    const listing = await credentials.listCredentials("user-c");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      for (const failure of failures) assertNoLeak(failure, secret);
      assertNoLeak(credentials.audit.events(), secret);
      assertNoLeak(listing, secret);
      assertNoLeak(inspect(provider, { depth: null, showHidden: true, getters: true }), secret);
      assertNoLeak(JSON.stringify(provider), secret);
    }
  });
});
