/**
 * Exit codes of the `credkit` command, one per credkit error code, so scripts can branch on the
 * kind of failure without parsing messages. The table is documented in docs/cli.md.
 */
import type { CredkitErrorCode } from "../core/errors.js";

/** Success. */
export const EXIT_OK = 0;
/** A failure that is not a credkit error, or a check (`doctor`, `verify-keys`) that did not pass. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown command or option, missing argument. */
export const EXIT_USAGE = 2;

/** Exit code per credkit error code. */
export const EXIT_CODES: Readonly<Record<CredkitErrorCode, number>> = {
  validation: 3,
  not_found: 4,
  deleted: 5,
  configuration: 6,
  dependency_missing: 7,
  integrity: 8,
  conflict: 9,
  auth: 10,
  throttled: 11,
  unavailable: 12,
  expired: 13,
  unsupported: 14,
  unknown_connector: 15,
  egress_blocked: 16,
  oauth: 17,
  key_disabled: 18,
  key_policy: 19,
  budget_exceeded: 20,
};

/** The exit code for a credkit error code (an unknown code is a plain failure). */
export function exitCodeOf(code: string): number {
  return Object.hasOwn(EXIT_CODES, code) ? EXIT_CODES[code as CredkitErrorCode] : EXIT_FAILURE;
}
