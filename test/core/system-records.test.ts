import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConflictError, IntegrityError, NotFoundError, ValidationError } from "../../src/core/errors.js";
import {
  ownedCredentials,
  parseReservedName,
  reservedName,
  systemRecords,
} from "../../src/core/system-records.js";
import { assertNoLeak, canary, keyring, rejection } from "../support/fixtures.js";

function setup() {
  const backend = memoryBackend({ env: {} });
  const manager = new CredentialManager({ backend, encryption: keyring() });
  return { backend, manager };
}

describe("reserved names and system records", () => {
  it("the public API refuses connection ids beginning with ~, on every operation", async () => {
    const { manager } = setup();
    const name = reservedName("connections", "c1");
    const calls: Array<() => Promise<unknown>> = [
      () => manager.storeCredentials(name, "t1", { apiKey: "k" }),
      () => manager.getCredentials(name, "t1"),
      () => manager.describeCredentials(name, "t1"),
      () => manager.rotateCredentials(name, "t1", { apiKey: "k" }),
      () => manager.updateCredentials(name, "t1", { apiKey: "k" }),
      () => manager.deleteCredentials(name, "t1"),
      () => manager.purgeCredentials(name, "t1"),
      () => manager.restoreCredentials(name, "t1"),
      () => manager.forTenant("t1").get("~x"),
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expect(ValidationError.isInstance(error)).toBe(true);
      expect((error as ValidationError).field).toBe("connectionId");
    }
    const [result] = await manager.getManyCredentials([{ connectionId: name, userId: "t1" }]);
    expect(result?.ok === false && ValidationError.isInstance(result.error)).toBe(true);
  });

  it("stores JSON values encrypted, with versions and compare-and-set", async () => {
    const { backend, manager } = setup();
    const records = systemRecords<{ label: string; secretish: string }>(manager, "connections");
    const planted = canary();
    expect(await records.get("t1", "c1")).toBeUndefined();
    const first = await records.put("t1", "c1", { label: "one", secretish: planted }, { ifVersion: 0 });
    expect(first.version).toBe(1);
    const raw = await backend.get(
      (await import("../../src/core/key-encoding.js")).encodeKey("t1", "~connections:c1", 1024),
    );
    expect(raw?.value).not.toContain(planted);
    expect(JSON.stringify(raw)).not.toContain(planted);
    const read = await records.get("t1", "c1");
    expect(read?.value).toEqual({ label: "one", secretish: planted });
    expect(read?.version).toBe(1);
    const stale = await rejection(records.put("t1", "c1", { label: "x", secretish: "" }, { ifVersion: 0 }));
    expect(ConflictError.isInstance(stale)).toBe(true);
    expect((await records.put("t1", "c1", { label: "two", secretish: "" }, { ifVersion: 1 })).version).toBe(
      2,
    );
    expect((await records.get("t1", "c1"))?.value.label).toBe("two");
    expect(await records.get("t2", "c1")).toBeUndefined();
  });

  it("listCredentials omits reserved names; the namespace listing pages through its own records", async () => {
    const { manager } = setup();
    const records = systemRecords<number>(manager, "connections");
    const other = systemRecords<number>(manager, "other");
    await manager.storeCredentials("visible", "t1", { apiKey: "k" });
    for (let index = 0; index < 5; index++) await records.put("t1", `c${index}`, index);
    await other.put("t1", "o1", 9);
    await ownedCredentials(manager).storeCredentials(reservedName("owned", "s1"), "t1", { apiKey: "k" });
    const listed = await manager.listCredentials("t1");
    expect(listed.items.map((item) => item.connectionId)).toEqual(["visible"]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await records.list("t1", { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    const foreign = await other.list("t1", { limit: 1 });
    const misuse = await rejection(records.list("t1", { cursor: foreign.cursor ?? "c1.x" }));
    expect(ValidationError.isInstance(misuse)).toBe(true);
  });

  it("delete hides a record, purge removes it, and both are NotFoundError when there is none", async () => {
    const { manager } = setup();
    const records = systemRecords<string>(manager, "connections");
    await records.put("t1", "c1", "v");
    await records.delete("t1", "c1");
    expect(await records.get("t1", "c1")).toBeUndefined();
    expect((await records.put("t1", "c1", "again", { ifVersion: 0 })).version).toBeGreaterThan(1);
    await records.purge("t1", "c1");
    expect(await records.get("t1", "c1")).toBeUndefined();
    expect(NotFoundError.isInstance(await rejection(records.purge("t1", "c1")))).toBe(true);
  });

  it("a tampered system record is IntegrityError, never a wrong value", async () => {
    const { backend, manager } = setup();
    const records = systemRecords<string>(manager, "connections");
    await records.put("t1", "a", "value-a");
    await records.put("t1", "b", "value-b");
    const { encodeKey } = await import("../../src/core/key-encoding.js");
    const a = await backend.get(encodeKey("t1", "~connections:a", 1024));
    const keyB = encodeKey("t1", "~connections:b", 1024);
    const b = await backend.get(keyB);
    if (!a || !b) throw new Error("records missing");
    await backend.put(keyB, { value: a.value, metadata: b.metadata });
    expect(IntegrityError.isInstance(await rejection(records.get("t1", "b")))).toBe(true);
  });

  it("owned credentials get the full credential treatment under a reserved name", async () => {
    const { manager } = setup();
    const owned = ownedCredentials(manager);
    const name = reservedName("connection-secrets", "conn-1/apiKey");
    expect(parseReservedName(name)).toEqual({ namespace: "connection-secrets", id: "conn-1/apiKey" });
    const bad = await rejection(owned.storeCredentials(name, "t1", { token: "x" }, { type: "api_key" }));
    expect(ValidationError.isInstance(bad)).toBe(true);
    const info = await owned.storeCredentials(name, "t1", { api_key: "sk-owned-1" }, { type: "api_key" });
    expect(Object.keys(info.fingerprints)).toEqual(["apiKey"]);
    await owned.rotateCredentials(name, "t1", { apiKey: "sk-owned-2" });
    await manager.storeCredentials("plain", "t1", { apiKey: "sk-plain" });
    const [mine, theirs] = await owned.getManyCredentials([
      { connectionId: name, userId: "t1" },
      { connectionId: "plain", userId: "t1" },
    ]);
    expect(mine?.ok && mine.credentials.apiKey?.reveal()).toBe("sk-owned-2");
    expect(mine?.ok && mine.version).toBe(2);
    expect(theirs?.ok && theirs.credentials.apiKey?.reveal()).toBe("sk-plain");
    expect((await owned.getCredentials(name, "t1", { version: 1 })).apiKey?.reveal()).toBe("sk-owned-1");
    expect(ValidationError.isInstance(await rejection(manager.getCredentials(name, "t1")))).toBe(true);
  });

  it("rejects a malformed namespace, an oversized id and a value that is not JSON", async () => {
    const { manager } = setup();
    expect(() => systemRecords(manager, "Bad Namespace")).toThrow(ValidationError);
    expect(() => reservedName("ok", "x".repeat(300))).toThrow(ValidationError);
    const records = systemRecords<unknown>(manager, "ok");
    const planted = canary();
    const big = await rejection(records.put("t1", "big", planted.repeat(4000)));
    expect(ValidationError.isInstance(big)).toBe(true);
    assertNoLeak(big, planted);
    expect(ValidationError.isInstance(await rejection(records.put("t1", "fn", undefined)))).toBe(true);
  });
});
