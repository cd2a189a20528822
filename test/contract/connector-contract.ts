/** The published connector contract suite (credkit/testing), registered with vitest. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConnectorContractOptions,
  runConnectorContract as runPublishedContract,
} from "../../src/testing/connector-contract.js";

export type { ConnectorContractOptions } from "../../src/testing/connector-contract.js";

/** Runs the connector contract suite under vitest. */
export function runConnectorContract(options: ConnectorContractOptions): void {
  runPublishedContract(options, { afterAll, beforeAll, describe, expect, it });
}
