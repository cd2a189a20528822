/**
 * The test functions a contract suite is registered with: vitest's (`import { describe, it,
 * expect, beforeAll, afterAll } from "vitest"`), injected so credkit never imports a test runner
 * at run time.
 */
import type * as Vitest from "vitest";

/** `describe`, `it`, `expect`, `beforeAll` and `afterAll` of the test runner. */
export interface TestFunctions {
  readonly describe: typeof Vitest.describe;
  readonly it: typeof Vitest.it;
  readonly expect: typeof Vitest.expect;
  readonly beforeAll: typeof Vitest.beforeAll;
  readonly afterAll: typeof Vitest.afterAll;
}

/** `it` whose cases are skipped (with `reason`) while `condition()` holds when they run. */
export function skippedWhen(
  it: TestFunctions["it"],
  condition: () => boolean,
  reason: string,
): TestFunctions["it"] {
  const gated = (name: string, fn: (context: Vitest.TestContext) => unknown) =>
    it(name, async (context) => {
      if (condition()) context.skip(reason);
      await fn(context);
    });
  return gated as unknown as TestFunctions["it"];
}
