/**
 * The `credkit` command line run: parses it, runs the command, and turns a failure into one line
 * on stderr (a JSON object with `--json`) and the exit code for its credkit error code.
 */
import { CommanderError } from "commander";
import { CredkitError } from "../core/errors.js";
import { scrubError } from "../core/redact.js";
import { EXIT_FAILURE, EXIT_USAGE, exitCodeOf } from "./exit-codes.js";
import { createProgram } from "./program.js";

function report(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  const safe = scrubError(error);
  const code = CredkitError.isInstance(error) ? error.code : "unknown";
  const message = safe.message;
  if (json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`error (${code}): ${message}\n`);
  return CredkitError.isInstance(error) ? exitCodeOf(error.code) : EXIT_FAILURE;
}

/** Runs the command line `argv` (as `process.argv`: node, the script, then the arguments). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    process.exitCode = report(error, argv.includes("--json"));
  }
}
