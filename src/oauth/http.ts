/**
 * OAuth connections in use by connectors: a `fetch` that puts the connection's current access
 * token on every request and, on a 401, refreshes once and retries once. Any connector that
 * takes a `fetch` option becomes OAuth-capable with it; `oauthHttpConnector` does this for the
 * `http` connector.
 */
import {
  createHttpConnector,
  type HttpConnector,
  type HttpConnectorOptions,
} from "../connectors/http/index.js";
import type { OAuthConnections } from "./connections.js";

/** The connection a fetch or connector acts for. */
export interface OAuthConnectionRef {
  readonly tenantId: string;
  readonly connectionId: string;
}

/**
 * A `fetch` that sends `Authorization: Bearer <current access token>` (replacing any other
 * authorization header); a 401 answer forces one refresh and one retry.
 */
export function oauthFetch(
  oauth: OAuthConnections,
  connection: OAuthConnectionRef,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  const { tenantId, connectionId } = connection;
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    const token = await oauth.getAccessToken(tenantId, connectionId);
    headers.set("authorization", `Bearer ${token.reveal()}`);
    const response = await base(input, { ...init, headers });
    if (response.status !== 401) return response;
    await response.body?.cancel();
    const renewed = await oauth.getAccessToken(tenantId, connectionId, { rejected: token });
    headers.set("authorization", `Bearer ${renewed.reveal()}`);
    return base(input, { ...init, headers });
  };
}

/**
 * The `http` connector for an OAuth connection: `baseURL` from the options or the connection's
 * configuration, the current access token on each request, one refresh and retry on a 401.
 */
export async function oauthHttpConnector(
  oauth: OAuthConnections,
  connection: OAuthConnectionRef,
  options: Omit<HttpConnectorOptions, "auth"> = {},
): Promise<HttpConnector> {
  const record = await oauth.service(connection.tenantId).get(connection.connectionId);
  const token = await oauth.getAccessToken(connection.tenantId, connection.connectionId);
  const baseURL = options.baseURL ?? record.configuration.baseURL;
  return createHttpConnector({ token, ...(typeof baseURL === "string" ? { baseURL } : {}) }, {
    ...options,
    auth: { type: "bearer" },
    fetch: oauthFetch(oauth, connection, options.fetch),
  } as HttpConnectorOptions);
}
