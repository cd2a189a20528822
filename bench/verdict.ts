/**
 * Measurement + target + verdict, shared by every benchmark (`bench/run.ts`, the remote-overhead,
 * HTTP and OAuth benches). A benchmark returns `Measurement`s; `report` prints each one with its
 * target and verdict and sets a non-zero exit code when any target is missed.
 *
 *   import { measurement, report } from "./verdict.js";
 *   const results = [measurement("uncached read / raw AES-GCM", 2.4, "×", { atMost: 3 })];
 *   report("my bench", results); // prints a table; process.exitCode = 1 on a miss
 */
import { cpus } from "node:os";

/** The bound a measurement must stay within. */
export type Target = { readonly atMost: number } | { readonly atLeast: number } | { readonly equals: number };

/** One figure a benchmark produced, with the target it is judged against. */
export interface Measurement {
  /** What was measured, e.g. `uncached memory read / raw AES-256-GCM decrypt`. */
  readonly name: string;
  /** The figure: a ratio against a floor measured in the same run, a count or a rate. */
  readonly value: number;
  /** Unit printed after the value and the target, e.g. `×`, ` reads`, ` ops/s`. */
  readonly unit: string;
  readonly target: Target;
  /** Supporting figures (the floor's and the subject's nanoseconds, rates), printed beside it. */
  readonly details?: Readonly<Record<string, number | string>>;
}

/** A measurement with its verdict. */
export interface Verdict extends Measurement {
  readonly pass: boolean;
}

/** Builds a measurement, rounding the value to two decimals. */
export function measurement(
  name: string,
  value: number,
  unit: string,
  target: Target,
  details?: Record<string, number | string>,
): Measurement {
  return { name, value: roundTo(value), unit, target, ...(details ? { details } : {}) };
}

/** Rounds to `digits` decimals, for printing figures. */
export function roundTo(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/** Whether `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  if ("atMost" in target) return value <= target.atMost;
  if ("atLeast" in target) return value >= target.atLeast;
  return value === target.equals;
}

/** The target as text, e.g. `≤ 3×`. */
export function describeTarget(target: Target, unit = ""): string {
  if ("atMost" in target) return `≤ ${target.atMost}${unit}`;
  if ("atLeast" in target) return `≥ ${target.atLeast}${unit}`;
  return `= ${target.equals}${unit}`;
}

/** Judges every measurement. */
export function judge(measurements: readonly Measurement[]): Verdict[] {
  return measurements.map((entry) => ({ ...entry, pass: meets(entry.value, entry.target) }));
}

/** Where and when a run happened: printed with every report so figures can be quoted honestly. */
export function environment(): { node: string; cores: number; cpu: string; measuredAt: string } {
  const processors = cpus();
  return {
    node: process.version,
    cores: processors.length,
    cpu: processors[0]?.model.trim() ?? "unknown",
    measuredAt: new Date().toISOString(),
  };
}

/** One line per verdict: name, value, target, PASS or MISS, and the supporting figures. */
export function formatVerdict(verdict: Verdict): string {
  const details = verdict.details
    ? `  (${Object.entries(verdict.details)
        .map(([label, figure]) => `${label} ${figure}`)
        .join(", ")})`
    : "";
  return `${verdict.pass ? "PASS" : "MISS"}  ${verdict.name}: ${verdict.value}${verdict.unit}  target ${describeTarget(verdict.target, verdict.unit)}${details}`;
}

/**
 * Prints the environment and every verdict to stdout and sets `process.exitCode = 1` when any
 * target is missed. Returns the verdicts (e.g. to write them to a results file).
 */
export function report(title: string, measurements: readonly Measurement[]): Verdict[] {
  const verdicts = judge(measurements);
  const where = environment();
  const lines = [
    `${title} — Node ${where.node}, ${where.cores} cores (${where.cpu}), ${where.measuredAt}`,
    ...verdicts.map(formatVerdict),
  ];
  const missed = verdicts.filter((verdict) => !verdict.pass).length;
  lines.push(missed === 0 ? "All targets met." : `${missed} target(s) missed.`);
  process.stdout.write(`${lines.join("\n")}\n`);
  if (missed > 0) process.exitCode = 1;
  return verdicts;
}
