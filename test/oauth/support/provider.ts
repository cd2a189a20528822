/**
 * A real OAuth 2.0 / OpenID Connect server for the tests: `oidc-provider` on 127.0.0.1 (port 0)
 * with PKCE required, refresh-token rotation on, short token lifetimes, revocation, dynamic
 * client registration and RFC 9207 `iss` in authorization responses. The login and consent
 * screens are replaced by an interaction handler that approves every request for one account,
 * so a test drives the whole authorization with plain HTTP requests (`authorize`).
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** A confidential client every test may use. */
export const CLIENT_ID = "credkit-test";
export const CLIENT_SECRET = "client-secret-canary-7f3a9c1e5b";
export const REDIRECT_URI = "http://127.0.0.1:9/callback";

export interface TestProvider {
  /** The issuer identifier, `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  readonly provider: Provider;
  /** Requests seen per path (e.g. `/token`), and token requests per grant type. */
  readonly counts: { paths: Map<string, number>; grants: Map<string, number> };
  /** Token-endpoint answers a test forces: the next `count` requests of `grant` get this answer. */
  failNextTokenRequests(count: number, status: number, body: Record<string, string>, grant?: string): void;
  /** Follows an authorization URL through the interaction; returns the callback URL it redirects to. */
  authorize(url: string, options?: { deny?: boolean }): Promise<URL>;
  /** Whether the server still accepts an access token. */
  accessTokenValid(token: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface TestProviderOptions {
  /** Access token lifetime, seconds. @default 60 */
  accessTokenTtl?: number;
  /** Extra redirect URIs of the test client. */
  redirectUris?: string[];
  /** Accept RFC 8707 resource indicators (as MCP clients send), issuing opaque tokens per resource. */
  resourceIndicators?: boolean;
}

/** A cookie jar good enough for one authorization: name → value, sent on every request. */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair?.indexOf("=") ?? -1;
      if (pair && at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI, ...(options.redirectUris ?? [])],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...jwk, kid: "test-key", use: "sig", alg: "RS256" }] },
    cookies: { keys: ["test-cookie-key"] },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      registration: { enabled: true },
      ...(options.resourceIndicators
        ? {
            resourceIndicators: {
              enabled: true,
              useGrantedResource: () => true,
              getResourceServerInfo: (_ctx: unknown, resource: string) => ({
                scope: "mcp",
                audience: resource,
                accessTokenFormat: "opaque" as const,
              }),
            },
          }
        : {}),
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    scopes: ["openid", "offline_access", "repo", "read:user", "mcp"],
    ttl: { AccessToken: options.accessTokenTtl ?? 60, AuthorizationCode: 60, RefreshToken: 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  const paths = new Map<string, number>();
  const grants = new Map<string, number>();
  const forced: Array<{ status: number; body: Record<string, string>; grant: string }> = [];
  const callback = provider.callback();

  server.on("request", async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", issuer).pathname;
    paths.set(path, (paths.get(path) ?? 0) + 1);
    if (path === "/token" && request.method === "POST") {
      const body = await readBody(request);
      const grant = new URLSearchParams(body).get("grant_type") ?? "";
      grants.set(grant, (grants.get(grant) ?? 0) + 1);
      const at = forced.findIndex((item) => item.grant === grant);
      const failure = at >= 0 ? forced.splice(at, 1)[0] : undefined;
      if (failure) {
        response.writeHead(failure.status, { "content-type": "application/json" });
        response.end(JSON.stringify(failure.body));
        return;
      }
      // why: the body was consumed above; oidc-provider reads it again from this copy.
      (request as IncomingMessage & { body?: unknown }).body = Object.fromEntries(new URLSearchParams(body));
    }
    if (path.startsWith("/interaction/")) {
      await approve(provider, request, response);
      return;
    }
    callback(request, response);
  });

  return {
    issuer,
    provider,
    counts: { paths, grants },
    failNextTokenRequests(count, status, body, grant = "refresh_token") {
      for (let i = 0; i < count; i++) forced.push({ status, body, grant });
    },
    authorize: (url, authorizeOptions) => authorize(url, authorizeOptions?.deny ?? false),
    async accessTokenValid(token) {
      const found = await provider.AccessToken.find(token);
      return Boolean(found && !found.isExpired);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The interaction handler: logs in account `user-1` and grants everything asked, or denies. */
async function approve(provider: Provider, request: IncomingMessage, response: ServerResponse) {
  try {
    const details = await provider.interactionDetails(request, response);
    const deny = new URL(request.url ?? "/", "http://x").searchParams.get("deny") === "1";
    if (deny) {
      await provider.interactionFinished(
        request,
        response,
        { error: "access_denied", error_description: "The user said no." },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId: "user-1", clientId }))
      : new provider.Grant({ accountId: "user-1", clientId });
    const scope = String(details.params.scope ?? "");
    grant.addOIDCScope(scope);
    const resource = details.params.resource;
    if (typeof resource === "string") grant.addResourceScope(resource, scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId: "user-1" }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    response.writeHead(500, { "content-type": "text/plain" });
    response.end(String((error as Error).message));
  }
}

/** Follows redirects by hand (keeping cookies) until one leaves the provider: the callback. */
async function authorize(url: string, deny: boolean): Promise<URL> {
  const jar = new Jar();
  let next = new URL(url);
  const origin = next.origin;
  for (let hop = 0; hop < 10; hop++) {
    if (deny && next.pathname.startsWith("/interaction/")) next.searchParams.set("deny", "1");
    const response = await fetch(next, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(response);
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location) throw new Error(`Authorization stopped at ${next.pathname} with HTTP ${response.status}.`);
    next = new URL(location, next);
    if (next.origin !== origin) return next;
  }
  throw new Error("Too many redirects during authorization.");
}
