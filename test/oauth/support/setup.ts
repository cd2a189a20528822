/** Shared setup of the OAuth tests: a manager, an OAuth instance on the test provider, a connect helper. */
import { memoryBackend } from "../../../src/backends/memory/index.js";
import type { StatusEvent } from "../../../src/connectors/lifecycle.js";
import { CredentialManager } from "../../../src/core/credential-manager.js";
import { createOAuth, type OAuthConnections, type OAuthOptions } from "../../../src/oauth/index.js";
import { keyring } from "../../support/fixtures.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, type TestProvider } from "./provider.js";

export function memoryManager(): CredentialManager {
  return new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
}

/** The test provider, by discovery (`test`) and by explicit endpoints (`static`). */
export function providers(server: TestProvider): OAuthOptions["providers"] {
  return {
    test: { issuer: server.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: ["repo"] },
    static: {
      issuer: server.issuer,
      authorizationEndpoint: `${server.issuer}/auth`,
      tokenEndpoint: `${server.issuer}/token`,
      revocationEndpoint: `${server.issuer}/token/revocation`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      clientAuthentication: "client_secret_post",
      issParameter: true,
      scopes: ["repo"],
    },
  };
}

export interface OAuthSetup {
  oauth: OAuthConnections;
  credentials: CredentialManager;
  events: StatusEvent[];
}

export function setupOAuth(server: TestProvider, options: Partial<OAuthOptions> = {}): OAuthSetup {
  const credentials = options.credentials ?? memoryManager();
  const events: StatusEvent[] = [];
  const oauth = createOAuth({
    credentials,
    providers: providers(server),
    allowInsecureRequests: true,
    onStatusChange: (event) => events.push(event),
    ...options,
  });
  return { oauth, credentials, events };
}

/** Runs the whole connect flow; returns the connection id. */
export async function connect(
  server: TestProvider,
  oauth: OAuthConnections,
  tenantId: string,
  extra: { connectionId?: string; provider?: string; scopes?: string[] } = {},
): Promise<string> {
  const started = await oauth.start({
    tenantId,
    provider: extra.provider ?? "test",
    redirectUri: REDIRECT_URI,
    ...(extra.scopes ? { scopes: extra.scopes } : {}),
    ...(extra.connectionId ? { connectionId: extra.connectionId } : {}),
    configuration: { baseURL: "http://127.0.0.1:9/api" },
  });
  const callback = await server.authorize(started.url.href);
  const result = await oauth.complete(callback);
  return result.connection.id;
}
