/** Fixtures of the contract suites: fixed test keys, unique ids, canary values, leak checks. */
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { LocalKeyring } from "../core/keyring.js";

/** Two fixed 32-byte test keys (hex). Never used outside tests. */
export const TEST_KEY_A = "a".repeat(64);
export const TEST_KEY_B = "b".repeat(64);

export function keyring(current: string = TEST_KEY_A, ...previous: string[]): LocalKeyring {
  return new LocalKeyring(
    Buffer.from(current, "hex"),
    previous.map((key) => Buffer.from(key, "hex")),
  );
}

/** A unique id for one test, so suites never see each other's records. */
export function uniqueId(prefix = "t"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/** A planted secret that must never appear in any output. */
export function canary(prefix = "sk-canary"): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

/** Every textual form of a value a leak could take: JSON, inspect, String, stack, causes. */
export function everyForm(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (item: unknown, depth: number): void => {
    if (depth > 10 || seen.has(item)) return;
    seen.add(item);
    try {
      parts.push(String(item));
    } catch {
      // some objects cannot be turned into strings; inspect below still covers them
    }
    try {
      parts.push(JSON.stringify(item) ?? "");
    } catch {
      // circular structures: inspect covers them
    }
    parts.push(
      inspect(item, {
        depth: Number.POSITIVE_INFINITY,
        maxStringLength: Number.POSITIVE_INFINITY,
        maxArrayLength: Number.POSITIVE_INFINITY,
        showHidden: true,
        getters: true,
      }),
    );
    if (item instanceof Error) {
      parts.push(item.stack ?? "", item.message);
      visit(item.cause, depth + 1);
    }
  };
  visit(value, 0);
  return parts.join("\n");
}

/** Asserts that no form of `value` contains `secret`. */
export function assertNoLeak(value: unknown, secret: string): void {
  const text = everyForm(value);
  const at = text.indexOf(secret);
  if (at >= 0) {
    // why: say where, never what: the failure message must not print the value either.
    const before = text.slice(Math.max(0, at - 80), at);
    throw new Error(`Canary leaked at character ${at}, after: ${JSON.stringify(before)}`);
  }
}
