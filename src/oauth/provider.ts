/**
 * OAuth providers: where to send the user, where to exchange and refresh tokens, which scopes,
 * PKCE and revocation. A provider is given by its endpoints (a catalog entry, see
 * `oauthProviders`) or by its issuer alone, whose discovery document (RFC 8414, then OpenID
 * Connect discovery) is fetched once and kept. Built on `oauth4webapi`.
 */
import * as oauth from "oauth4webapi";
import { UnavailableError, ValidationError } from "../core/errors.js";
import { Secret } from "../core/secret.js";
import { OAuthError } from "./errors.js";

/** How the client proves itself to the token endpoint. */
export type ClientAuthentication = "client_secret_basic" | "client_secret_post" | "none";

/** An OAuth provider: endpoints (or an issuer to discover them from) and the client registered there. */
export interface OAuthProviderConfig {
  /**
   * The issuer identifier (RFC 8414). With no `authorizationEndpoint`/`tokenEndpoint`, the
   * endpoints come from the issuer's discovery document. Also the value the callback's `iss`
   * parameter must carry (RFC 9207).
   */
  issuer: string;
  /** The authorization endpoint. @default from discovery */
  authorizationEndpoint?: string | undefined;
  /** The token endpoint. @default from discovery */
  tokenEndpoint?: string | undefined;
  /** The RFC 7009 revocation endpoint; without one, deleting a connection revokes nothing. @default from discovery */
  revocationEndpoint?: string | undefined;
  /** The client id registered at the provider. */
  clientId: string;
  /** The client secret (omit for a public client). */
  clientSecret?: string | Secret | undefined;
  /**
   * How the client authenticates at the token and revocation endpoints.
   * @default "client_secret_basic" with a secret, "none" without
   */
  clientAuthentication?: ClientAuthentication | undefined;
  /** Scopes asked for when `start` names none. @default [] */
  scopes?: readonly string[] | undefined;
  /**
   * Whether to send a PKCE challenge (S256). Only turn off for a provider that rejects it.
   * @default true
   */
  pkce?: boolean | undefined;
  /**
   * Whether the provider puts `iss` in authorization responses (RFC 9207); when true, a
   * callback without it is refused. @default from discovery (`authorization_response_iss_parameter_supported`), else false
   */
  issParameter?: boolean | undefined;
  /** Extra authorization request parameters, e.g. `{ access_type: "offline" }`. */
  authorizationParameters?: Readonly<Record<string, string>> | undefined;
}

/** Options of the HTTP calls made to providers. */
export interface ProviderHttpOptions {
  /** `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /**
   * Allow `http://` provider URLs. Only for a provider on loopback in development and tests.
   * @default false
   */
  allowInsecureRequests?: boolean | undefined;
  /**
   * Timeout of each call to a provider, in ms.
   * @default 10000
   */
  timeoutMs?: number | undefined;
}

/** A provider ready for oauth4webapi calls. */
export interface ResolvedProvider {
  readonly name: string;
  readonly config: OAuthProviderConfig;
  readonly server: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
  /** The secret, for scrubbing errors. */
  readonly clientSecret: Secret | undefined;
  /** Options for every oauth4webapi request (fetch, insecure loopback, timeout). */
  requestOptions(): oauth.HttpRequestOptions<"GET" | "POST", unknown>;
}

function checkUrl(value: string | undefined, option: string, allowHttp: boolean): void {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(`OAuth provider option ${option} must be a URL.`, option);
  }
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) {
    throw new ValidationError(
      `OAuth provider option ${option} must be an https:// URL (http:// only with allowInsecureRequests).`,
      option,
    );
  }
}

function clientAuthFor(config: OAuthProviderConfig, secret: Secret | undefined): oauth.ClientAuth {
  const method = config.clientAuthentication ?? (secret ? "client_secret_basic" : "none");
  if (method === "none") return oauth.None();
  if (!secret) {
    throw new ValidationError(`OAuth client authentication ${method} needs clientSecret.`, "clientSecret");
  }
  // why: the secret is revealed only when a request is being signed, never kept as a string.
  const auth = method === "client_secret_post" ? oauth.ClientSecretPost : oauth.ClientSecretBasic;
  return (server, client, body, headers) => auth(secret.reveal())(server, client, body, headers);
}

async function discover(
  config: OAuthProviderConfig,
  options: oauth.HttpRequestOptions<"GET">,
): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer);
  let lastError: unknown;
  for (const algorithm of ["oauth2", "oidc"] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, { ...options, algorithm });
      return await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      lastError = error;
    }
  }
  const code = (lastError as { code?: unknown } | undefined)?.code;
  if (!(typeof code === "string" && (code.startsWith("OAUTH_") || code.startsWith("ERR_")))) {
    throw new UnavailableError(`The discovery document of "${config.issuer}" could not be fetched.`, {
      source: "oauth",
    });
  }
  throw new OAuthError("provider_configuration", `Discovery of the issuer "${config.issuer}" failed.`, {
    cause: lastError instanceof Error ? new Error(lastError.message) : undefined,
  });
}

/**
 * Checks a provider's configuration and returns a resolver that fetches its discovery document
 * on first use (a failed discovery is retried on the next call, a successful one is kept).
 */
export function providerResolver(
  name: string,
  config: OAuthProviderConfig,
  http: ProviderHttpOptions = {},
): () => Promise<ResolvedProvider> {
  const allowHttp = http.allowInsecureRequests === true;
  for (const option of ["issuer", "authorizationEndpoint", "tokenEndpoint", "revocationEndpoint"] as const) {
    checkUrl(config[option], option, allowHttp);
  }
  if (typeof config.clientId !== "string" || !config.clientId) {
    throw new ValidationError(`OAuth provider "${name}" needs a clientId.`, "clientId");
  }
  const clientSecret =
    config.clientSecret === undefined
      ? undefined
      : config.clientSecret instanceof Secret
        ? config.clientSecret
        : new Secret(config.clientSecret);
  const clientAuth = clientAuthFor(config, clientSecret);
  const customFetch = http.fetch;
  const requestOptions = (): oauth.HttpRequestOptions<"GET" | "POST", unknown> => ({
    ...(customFetch
      ? {
          [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<"GET" | "POST", unknown>) =>
            customFetch(url, init as RequestInit),
        }
      : {}),
    ...(allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(http.timeoutMs ?? 10_000),
  });
  let resolved: Promise<ResolvedProvider> | undefined;
  const resolve = async (): Promise<ResolvedProvider> => {
    const explicit = config.authorizationEndpoint !== undefined && config.tokenEndpoint !== undefined;
    const discovered = explicit ? { issuer: config.issuer } : await discover(config, requestOptions());
    const server: oauth.AuthorizationServer = {
      ...discovered,
      ...(config.authorizationEndpoint ? { authorization_endpoint: config.authorizationEndpoint } : {}),
      ...(config.tokenEndpoint ? { token_endpoint: config.tokenEndpoint } : {}),
      ...(config.revocationEndpoint ? { revocation_endpoint: config.revocationEndpoint } : {}),
      ...(config.issParameter !== undefined
        ? { authorization_response_iss_parameter_supported: config.issParameter }
        : {}),
    };
    if (!server.authorization_endpoint || !server.token_endpoint) {
      throw new OAuthError(
        "provider_configuration",
        `OAuth provider "${name}" has no authorization or token endpoint.`,
      );
    }
    return {
      name,
      config,
      server,
      client: { client_id: config.clientId },
      clientAuth,
      clientSecret,
      requestOptions,
    };
  };
  return () => {
    resolved ??= resolve().catch((error) => {
      resolved = undefined;
      throw error;
    });
    return resolved;
  };
}
