/** SDK-free types of the aws connector: what `getConnector("aws", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";

/** Who a credential is, as STS reports it. */
export interface CallerIdentity {
  readonly account: string;
  /** The ARN of the user, role session or federated principal. */
  readonly principal: string;
  readonly userId: string;
}

export interface AwsMethods {
  /** `GetCallerIdentity` with the connection's keys (as the role, when one is configured). */
  callerIdentity(): Promise<CallerIdentity>;
}

/** The connector `getConnector("aws", …)` returns. `client` is the `STSClient` with the connection's keys. */
export type AwsConnector = DefinedConnector<OptionalType<"@aws-sdk/client-sts:STSClient">, AwsMethods>;
