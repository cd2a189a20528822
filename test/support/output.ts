/**
 * Capturing what a test prints, to prove no secret reaches it. Taps process.stdout, process.stderr
 * and console.* — vitest routes console calls to the runner without touching the worker's streams,
 * so tapping the streams alone would miss them.
 */
import { format } from "node:util";
import { afterEach, beforeEach } from "vitest";
import { assertNoLeak } from "./fixtures.js";

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug"] as const;

export interface OutputTap {
  /** Everything printed since the tap started. */
  text(): string;
  /** Puts the streams and console back. */
  restore(): void;
}

/** Starts recording everything printed (still passing it through). */
export function tapOutput(): OutputTap {
  const chunks: string[] = [];
  const restores: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  for (const method of CONSOLE_METHODS) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(format(...args));
      original(...args);
    };
    restores.push(() => {
      console[method] = original;
    });
  }
  return {
    text: () => chunks.join("\n"),
    restore: () => {
      for (const undo of restores.splice(0)) undo();
    },
  };
}

/**
 * Records what each test of the file prints and, after each test, asserts that none of the
 * values `secrets()` returns was printed.
 */
export function guardOutput(secrets: () => string[]): { text(): string } {
  let tap: OutputTap | undefined;
  beforeEach(() => {
    tap = tapOutput();
  });
  afterEach(() => {
    tap?.restore();
    const printed = tap?.text() ?? "";
    for (const secret of secrets()) assertNoLeak(printed, secret);
  });
  return { text: () => tap?.text() ?? "" };
}
