/** The published backend contract suite (credkit/testing), registered with vitest. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BackendContractOptions,
  runBackendContract as runPublishedContract,
} from "../../src/testing/backend-contract.js";

export type { BackendContractOptions } from "../../src/testing/backend-contract.js";

/** Runs the backend contract suite under vitest. */
export function runBackendContract(options: BackendContractOptions): void {
  runPublishedContract(options, { afterAll, beforeAll, describe, expect, it });
}
