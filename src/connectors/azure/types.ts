/** SDK-free types of the azure connector: what `getConnector("azure", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";

/** What a token acquired for the connection says about it (identifiers only). */
export interface AzureTokenInfo {
  /** The tenant that issued the token (`tid`). */
  readonly tenantId: string;
  /** The app the token was issued to (`appid`, or `azp` in v2 tokens). */
  readonly appId: string;
  /** When the token expires, in milliseconds since the epoch. */
  readonly expiresOnTimestamp: number;
}

export interface AzureMethods {
  /** Acquires a token for the connection's scope (or `scope`) and reports tenant, app and expiry. */
  tokenInfo(scope?: string): Promise<AzureTokenInfo>;
}

/** The connector `getConnector("azure", …)` returns. `client` is the `TokenCredential`. */
export type AzureConnector = DefinedConnector<OptionalType<"@azure/identity:TokenCredential">, AzureMethods>;
