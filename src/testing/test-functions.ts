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
