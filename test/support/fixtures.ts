import { ConfigurationError } from "../../src/core/errors.js";

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

/** The `ConfigurationError` a promise rejects with; fails the test on anything else. */
export async function configurationError(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await rejection(promise);
  if (!ConfigurationError.isInstance(error))
    throw new Error(`expected ConfigurationError, got ${String(error)}`);
  return error;
}
