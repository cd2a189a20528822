import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { AuthError, UnavailableError, ValidationError } from "../../src/core/errors.js";
import { keyring } from "../support/fixtures.js";
import { instrument } from "../support/instrumented-backend.js";

function setup(cache: ConstructorParameters<typeof CredentialManager>[0]["cache"] = { ttlMs: 60_000 }) {
  const instrumented = instrument(memoryBackend({ env: {} }));
  const manager = new CredentialManager({ backend: instrumented.backend, encryption: keyring(), cache });
  return { instrumented, manager };
}

describe("read cache", () => {
  it("serves hits without calling the backend, and returns the same frozen object", async () => {
    const { instrumented, manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "cache-hit-value-1" });
    const before = instrumented.calls.get;
    const first = await manager.getCredentials("c", "t");
    const second = await manager.getCredentials("c", "t");
    expect(instrumented.calls.get - before).toBe(1);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("shares one backend read among 1,000 concurrent cold reads", async () => {
    const { instrumented, manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "single-flight-value" });
    instrumented.delayMs = 5;
    const before = instrumented.calls.get;
    const results = await Promise.all(Array.from({ length: 1000 }, () => manager.getCredentials("c", "t")));
    expect(instrumented.calls.get - before).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it("keys by version: a pinned read does not answer a latest read", async () => {
    const { manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "version-one-value" });
    await manager.rotateCredentials("c", "t", { apiKey: "version-two-value" });
    expect((await manager.getCredentials("c", "t", { version: 1 })).apiKey?.reveal()).toBe(
      "version-one-value",
    );
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("version-two-value");
  });

  it("forceRefresh goes to the backend", async () => {
    const { instrumented, manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "force-refresh-value" });
    await manager.getCredentials("c", "t");
    const before = instrumented.calls.get;
    await manager.getCredentials("c", "t", { forceRefresh: true });
    expect(instrumented.calls.get - before).toBe(1);
  });

  it("serves the last good value on a transient failure within maxStaleMs, and says so", async () => {
    const { instrumented, manager } = setup({ ttlMs: 1, maxStaleMs: 60_000 });
    await manager.storeCredentials("c", "t", { apiKey: "last-good-value-1" });
    await manager.getCredentials("c", "t");
    await new Promise((resolve) => setTimeout(resolve, 5));
    instrumented.failWith = new UnavailableError("backend down");
    const stale = await manager.getCredentials("c", "t", { accessor: "svc" });
    expect(stale.apiKey?.reveal()).toBe("last-good-value-1");
    const events = manager.audit.events({ action: "read" });
    expect(events.at(-1)).toMatchObject({ cache: "stale", outcome: "success", accessor: "svc" });
  });

  it("does not serve stale values for non-transient errors or beyond maxStaleMs", async () => {
    const { instrumented, manager } = setup({ ttlMs: 1, maxStaleMs: 20 });
    await manager.storeCredentials("c", "t", { apiKey: "old-good-value-1" });
    await manager.getCredentials("c", "t");
    await new Promise((resolve) => setTimeout(resolve, 5));
    instrumented.failWith = new AuthError("denied");
    expect(AuthError.isInstance(await manager.getCredentials("c", "t").catch((e: unknown) => e))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    instrumented.failWith = new UnavailableError("down");
    expect(UnavailableError.isInstance(await manager.getCredentials("c", "t").catch((e: unknown) => e))).toBe(
      true,
    );
  });

  it("a read in flight while a write lands is not cached over the write", async () => {
    const { instrumented, manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "before-write-value" });
    instrumented.delayMs = 20;
    const inFlight = manager.getCredentials("c", "t");
    await new Promise((resolve) => setTimeout(resolve, 5));
    instrumented.delayMs = 0;
    await manager.rotateCredentials("c", "t", { apiKey: "after-write-value" });
    await inFlight;
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("after-write-value");
  });

  it("invalidates every version on delete", async () => {
    const { manager } = setup();
    await manager.storeCredentials("c", "t", { apiKey: "deleted-later-value" });
    await manager.getCredentials("c", "t", { version: 1 });
    await manager.deleteCredentials("c", "t");
    expect(
      await manager.getCredentials("c", "t", { version: 1 }).catch((e: { code: string }) => e.code),
    ).toBe("deleted");
  });

  it("evicts the least recently used beyond maxEntries", async () => {
    const { instrumented, manager } = setup({ ttlMs: 60_000, maxEntries: 2 });
    for (const name of ["a", "b", "c"])
      await manager.storeCredentials(name, "t", { apiKey: `lru-value-${name}` });
    await manager.getCredentials("a", "t");
    await manager.getCredentials("b", "t");
    await manager.getCredentials("c", "t");
    const before = instrumented.calls.get;
    await manager.getCredentials("c", "t");
    await manager.getCredentials("b", "t");
    expect(instrumented.calls.get - before).toBe(0);
    await manager.getCredentials("a", "t");
    expect(instrumented.calls.get - before).toBe(1);
  });

  it("with the cache off, every read goes to the backend and is audited as bypass", async () => {
    const { instrumented, manager } = setup(false);
    await manager.storeCredentials("c", "t", { apiKey: "no-cache-value-1" });
    const before = instrumented.calls.get;
    await manager.getCredentials("c", "t");
    await manager.getCredentials("c", "t");
    expect(instrumented.calls.get - before).toBe(2);
    expect(manager.audit.events({ action: "read" }).map((event) => event.cache)).toEqual([
      "bypass",
      "bypass",
    ]);
  });
});

describe("ids that are not strings", () => {
  it("get a typed ValidationError, also from the batch read, never a TypeError", async () => {
    const { manager } = setup();
    const read = await manager.getCredentials(undefined as unknown as string, "t").catch((e: unknown) => e);
    expect(ValidationError.isInstance(read)).toBe(true);
    expect((read as ValidationError).field).toBe("connectionId");
    const tenant = await manager.getCredentials("c", 42 as unknown as string).catch((e: unknown) => e);
    expect((tenant as ValidationError).field).toBe("userId");
    const [result] = await manager.getManyCredentials([
      { connectionId: "c", userId: null as unknown as string },
    ]);
    expect(result?.ok === false && ValidationError.isInstance(result.error)).toBe(true);
  });
});
