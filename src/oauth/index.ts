/**
 * `credkit/oauth`: OAuth 2 connections (connect flow with PKCE, tokens stored encrypted, refresh
 * that never races across replicas), connectors that use them, and an MCP OAuth client provider.
 */
export { type CatalogClient, oauthProviders } from "./catalog.js";
export {
  type CompleteAuthorizationResult,
  createOAuth,
  OAuthConnections,
  type OAuthOptions,
  type StartAuthorizationInput,
  type StartAuthorizationResult,
} from "./connections.js";
export { OAuthError, type OAuthFailureReason } from "./errors.js";
export { type OAuthConnectionRef, oauthFetch, oauthHttpConnector } from "./http.js";
export {
  type PgPoolLike,
  postgresAdvisoryLock,
  type RedisLockOptions,
  type RefreshLock,
  redisLock,
} from "./locks.js";
export {
  CredkitMcpOAuthProvider,
  credkitMcpOAuthProvider,
  type McpClientInformation,
  type McpOAuthProviderOptions,
  type McpOAuthTokens,
} from "./mcp.js";
export type { ClientAuthentication, OAuthProviderConfig, ProviderHttpOptions } from "./provider.js";
export type { AccessTokenOptions } from "./refresh.js";
export { tokenCredentialName } from "./tokens.js";
