/**
 * credkit/testing: the suites a backend, connection store or connector written outside this
 * repository runs to prove itself, with the test functions injected (vitest's, or a compatible
 * runner's).
 */
export { type BackendContractOptions, runBackendContract } from "./backend-contract.js";
export { type ManualClock, manualClock } from "./clock.js";
export {
  type ConnectionStoreContractOptions,
  runConnectionStoreContract,
  sampleRecord,
} from "./connection-store-contract.js";
export {
  type ConnectorContractOptions,
  type ProviderStandIn,
  runConnectorContract,
  type StandInRequest,
} from "./connector-contract.js";
export { assertNoLeak, canary, everyForm, keyring, TEST_KEY_A, TEST_KEY_B, uniqueId } from "./fixtures.js";
export type { SeedInput } from "./read-only-contract.js";
export type { TestFunctions } from "./test-functions.js";
