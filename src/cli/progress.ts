/**
 * Progress for long commands (import, export, migrate, rewrap, verify-keys): a @clack/prompts
 * bar (known total) or spinner on stderr when stderr is a terminal and `--json` is off; nothing
 * otherwise, so pipes and scripts get clean output. Messages carry counts and ids, never values.
 */
import type { Output } from "./output.js";

/** A running progress display. */
export interface Progress {
  /** Moves the bar `step` forward (or, without a total, updates the message). */
  advance(step: number, message: string): void;
  /** Ends the display with a final message. */
  stop(message: string): void;
}

const SILENT: Progress = { advance: () => undefined, stop: () => undefined };

/** Starts a bar of `total` steps (a spinner when the total is unknown). */
export async function startProgress(output: Output, message: string, total?: number): Promise<Progress> {
  if (output.json || !process.stderr.isTTY) return SILENT;
  const clack = await import("@clack/prompts");
  if (total === undefined) {
    const spin = clack.spinner({ output: process.stderr });
    spin.start(message);
    return { advance: (_step, text) => spin.message(text), stop: (text) => spin.stop(text) };
  }
  const bar = clack.progress({ output: process.stderr, max: Math.max(1, total), style: "heavy" });
  bar.start(message);
  return { advance: (step, text) => bar.advance(step, text), stop: (text) => bar.stop(text) };
}
