import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConfigurationError, ValidationError } from "../../src/core/errors.js";
import { MAX_ID_BYTES } from "../../src/core/ids.js";
import { keyring, rejection } from "../support/fixtures.js";

/** A backend that counts every call, to prove bad input is refused before any work. */
function counted(): { backend: Backend; calls: () => number } {
  const inner = memoryBackend({ env: {} });
  let calls = 0;
  const count =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      calls++;
      return call(...args);
    };
  const backend: Backend = {
    name: inner.name,
    capabilities: inner.capabilities,
    get: count(inner.get.bind(inner)),
    put: count(inner.put.bind(inner)),
    delete: count(inner.delete.bind(inner)),
    list: count(inner.list.bind(inner)),
  };
  return { backend, calls: () => calls };
}

describe("input bounds", () => {
  it("issue 13 item 6: empty, blank and oversized ids are ValidationError before any backend call", async () => {
    const { backend, calls } = counted();
    const manager = new CredentialManager({ backend, encryption: keyring() });
    const huge = "x".repeat(1_000_000);
    const bad = ["", "   ", "\t\n", huge, "é".repeat(MAX_ID_BYTES / 2 + 1)];
    for (const id of bad) {
      for (const [field, call] of [
        ["userId", () => manager.getCredentials("c", id)],
        ["connectionId", () => manager.getCredentials(id, "t")],
        ["userId", () => manager.storeCredentials("c", id, { apiKey: "k" })],
        ["connectionId", () => manager.storeCredentials(id, "t", { apiKey: "k" })],
        ["connectionId", () => manager.describeCredentials(id, "t")],
        ["connectionId", () => manager.deleteCredentials(id, "t")],
        ["userId", () => manager.listCredentials(id)],
      ] as const) {
        const error = await rejection(call());
        expect(ValidationError.isInstance(error)).toBe(true);
        expect((error as ValidationError).field).toBe(field);
        expect((error as Error).message.length).toBeLessThan(200);
      }
      const [result] = await manager.getManyCredentials([{ connectionId: id, userId: "t" }]);
      expect(result?.ok === false && ValidationError.isInstance(result.error)).toBe(true);
      expect(() => manager.forTenant(id)).toThrow(ValidationError);
    }
    expect(calls()).toBe(0);
    // the ids at the bound itself are fine
    const longest = "t".repeat(MAX_ID_BYTES);
    await manager.storeCredentials(longest, longest, { apiKey: "k" });
    expect((await manager.getCredentials(longest, longest)).apiKey?.reveal()).toBe("k");
  });

  it("issue 13 item 6: failed reads with huge ids keep nothing of them in the audit ring", async () => {
    const manager = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
    const huge = "y".repeat(100_000);
    for (let index = 0; index < 20; index++) await rejection(manager.getCredentials(huge, `${huge}${index}`));
    const events = manager.audit.events();
    expect(events.length).toBe(20);
    expect(JSON.stringify(events).length).toBeLessThan(20 * 300);
    for (const event of events) expect(event.errorCode).toBe("validation");
  });

  it("issue 13 item 6: audit.ringSize must be a positive whole number", () => {
    for (const ringSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 10_000_001]) {
      expect(
        () =>
          new CredentialManager({
            backend: memoryBackend({ env: {} }),
            encryption: keyring(),
            audit: { ringSize },
          }),
      ).toThrow(ConfigurationError);
    }
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { ringSize: 1 },
    });
    expect(manager.audit).toBeDefined();
  });

  it("issue 13 item 7: version is a positive whole number, else ValidationError before any call", async () => {
    const { backend, calls } = counted();
    const manager = new CredentialManager({ backend, encryption: keyring() });
    for (const version of ["/../../../x", "1", 0, -1, 1.5, Number.NaN, null]) {
      const error = await rejection(manager.getCredentials("c", "t", { version: version as number }));
      expect(ValidationError.isInstance(error)).toBe(true);
      expect((error as ValidationError).field).toBe("version");
      const [result] = await manager.getManyCredentials([
        { connectionId: "c", userId: "t", version: version as number },
      ]);
      expect(result?.ok === false && ValidationError.isInstance(result.error)).toBe(true);
    }
    expect(calls()).toBe(0);
  });
});
