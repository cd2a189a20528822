/**
 * Catalog entries for well-known OAuth providers: their endpoints, default scopes, PKCE and how
 * they revoke, so an application passes only its client id and secret.
 */
import type { Secret } from "../core/secret.js";
import type { OAuthProviderConfig } from "./provider.js";

/** The client registered at a catalog provider, plus overrides of the entry. */
export interface CatalogClient extends Partial<Omit<OAuthProviderConfig, "clientId">> {
  /** The client id registered at the provider. */
  clientId: string;
  /** The client secret registered at the provider. */
  clientSecret: string | Secret;
}

/** Well-known providers. Each returns a complete `OAuthProviderConfig`. */
export const oauthProviders = {
  /**
   * GitHub OAuth apps: PKCE (S256), no refresh tokens unless the app opts into expiring user
   * tokens, and no RFC 7009 revocation endpoint (GitHub revokes through its REST API).
   */
  github: (client: CatalogClient): OAuthProviderConfig => ({
    issuer: "https://github.com/login/oauth",
    authorizationEndpoint: "https://github.com/login/oauth/authorize",
    tokenEndpoint: "https://github.com/login/oauth/access_token",
    clientAuthentication: "client_secret_post",
    scopes: ["read:user"],
    pkce: true,
    issParameter: false,
    ...client,
  }),
  /**
   * Google: endpoints (and the RFC 7009 revocation endpoint) from discovery; offline access so
   * a refresh token is issued.
   */
  google: (client: CatalogClient): OAuthProviderConfig => ({
    issuer: "https://accounts.google.com",
    clientAuthentication: "client_secret_post",
    scopes: ["openid", "email"],
    pkce: true,
    authorizationParameters: { access_type: "offline", prompt: "consent" },
    ...client,
  }),
} as const;
