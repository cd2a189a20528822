/**
 * Lazy loading of optional peer dependencies (cloud and provider SDKs). Each caller passes a
 * literal `() => import("pkg")` so bundlers see it, and users can hand the module in through a
 * `lib` option instead (for bundlers, Workers, or tests).
 */
import { DependencyMissingError } from "./errors.js";
import { scrubError } from "./redact.js";

/** A module given directly, or a function that loads it. */
export type LibOption<T> = T | (() => Promise<T>);

function isModuleNotFound(error: unknown, packageName: string): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
  return notFound && typeof message === "string" && message.includes(packageName);
}

/**
 * Returns the `lib` module when given, else imports the package through `load`. A missing
 * package throws `DependencyMissingError` naming it.
 */
export async function importOptional<T>(
  packageName: string,
  usedBy: string,
  load: () => Promise<T>,
  lib?: LibOption<T>,
): Promise<T> {
  if (lib !== undefined) {
    return typeof lib === "function" ? await (lib as () => Promise<T>)() : lib;
  }
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, packageName)) {
      throw new DependencyMissingError(packageName, usedBy, { cause: scrubError(error) });
    }
    throw error;
  }
}
