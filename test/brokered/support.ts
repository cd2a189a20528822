/** Helpers for the brokered tests: a manager over a memory backend, and the canary walk. */
import { inspect } from "node:util";
import { expect } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { Secret } from "../../src/core/secret.js";
import { keyring } from "../support/fixtures.js";

/** A manager (with its cache) over `backend`, a new memory backend by default. */
export function managerOn(backend: Backend = memoryBackend({ env: {} })): CredentialManager {
  return new CredentialManager({ backend, encryption: keyring() });
}

const MAX_NODES = 500_000;

/**
 * Every value reachable from `roots` through properties: own and inherited, string and symbol
 * keyed, enumerable or not, getters called, Map and Set entries, array items, the properties of
 * functions. Returns the strings met and the `Secret`s met.
 */
export function reachable(roots: readonly unknown[]): {
  strings: string[];
  secrets: Secret[];
  nodes: number;
} {
  const seen = new Set<unknown>();
  const strings: string[] = [];
  const secrets: Secret[] = [];
  const queue: unknown[] = [...roots];
  while (queue.length > 0 && seen.size < MAX_NODES) {
    const value = queue.pop();
    if (typeof value === "string") {
      strings.push(value);
      continue;
    }
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value))
      continue;
    seen.add(value);
    if (value instanceof Secret) secrets.push(value);
    if (value instanceof Map) for (const [key, item] of value) queue.push(key, item);
    if (value instanceof Set) for (const item of value) queue.push(item);
    for (let target: object | null = value; target !== null; target = Object.getPrototypeOf(target)) {
      queue.push(target);
      for (const key of Reflect.ownKeys(target)) {
        if (typeof key === "string") strings.push(key);
        const descriptor = Object.getOwnPropertyDescriptor(target, key);
        if (!descriptor) continue;
        if ("value" in descriptor) queue.push(descriptor.value);
        else if (descriptor.get) {
          try {
            queue.push(Reflect.apply(descriptor.get, value, []));
          } catch {
            // a getter that throws (e.g. a closed connector's client) shows nothing
          }
        }
      }
    }
  }
  expect(seen.size).toBeLessThan(MAX_NODES);
  return { strings, secrets, nodes: seen.size };
}

/** Fails when `key` is reachable from `roots` or shows in any printed form of them. */
export function assertHoldsNoKey(roots: readonly unknown[], key: string): void {
  const { strings, secrets, nodes } = reachable(roots);
  expect(nodes).toBeGreaterThan(50);
  expect(strings.filter((text) => text.includes(key))).toHaveLength(0);
  expect(secrets.filter((secret) => secret.reveal().includes(key))).toHaveLength(0);
  const unlimited = {
    depth: Number.POSITIVE_INFINITY,
    showHidden: true,
    getters: true,
    maxArrayLength: null,
    maxStringLength: null,
    breakLength: Number.POSITIVE_INFINITY,
  } as const;
  for (const root of roots) {
    const printed = [
      inspect(root, unlimited),
      JSON.stringify(root) ?? "",
      JSON.stringify({ ...(root as object) }) ?? "",
      inspect(Object.entries(root as object), unlimited),
      inspect({ ...(root as object) }, unlimited),
    ];
    for (const text of printed) expect(text.includes(key)).toBe(false);
  }
}
