/**
 * Reading the process environment the same way everywhere: an empty or blank variable (as `.env`
 * files produce) is unset, and `NODE_ENV` is compared trimmed and case-insensitively.
 */
import type { Environment } from "../kit/definition.js";

/** The variable's value, trimmed; undefined when unset, empty or blank. */
export function setting(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** True when `NODE_ENV` is `production` in any case, with any surrounding spaces. */
export function isProduction(env: Environment): boolean {
  return setting(env, "NODE_ENV")?.toLowerCase() === "production";
}
