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

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}
