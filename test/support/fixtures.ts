/** Shared test fixtures: the contract suites' fixtures (published in credkit/testing). */
export {
  assertNoLeak,
  canary,
  everyForm,
  keyring,
  TEST_KEY_A,
  TEST_KEY_B,
  uniqueId,
} from "../../src/testing/fixtures.js";
