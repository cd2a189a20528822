/**
 * The suite every `ConnectionStore` must pass: round trip, compare-and-set on the revision
 * (sequential and concurrent), tenant isolation, paging and delete. The test functions are
 * injected, so a store written outside this repository runs the same suite with its own vitest:
 *
 *   import { afterAll, beforeAll, describe, expect, it } from "vitest";
 *   runConnectionStoreContract({ name: "mine", create: () => myStore() }, { afterAll, beforeAll, describe, expect, it });
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { ConnectionRecord, ConnectionStore } from "../connectors/connection-store.js";
import { ConflictError, ValidationError } from "../core/errors.js";
import type { TestFunctions } from "./test-functions.js";

export interface ConnectionStoreContractOptions {
  /** Suite title. */
  name: string;
  /** Builds the store under test (called once per suite). */
  create: () => Promise<ConnectionStore> | ConnectionStore;
  /** Called after the suite. */
  cleanup?: (() => Promise<void>) | undefined;
  /**
   * Whether a conflicting concurrent writer always loses (`atomic`) or can slip in on an
   * eventually consistent store (`best-effort`).
   * @default "atomic"
   */
  compareAndSet?: "atomic" | "best-effort" | undefined;
}

function uniqueTenant(): string {
  return `tenant-${randomBytes(6).toString("hex")}`;
}

/** A record at `revision` with the fields a connection carries, nested values included. */
export function sampleRecord(
  tenantId: string,
  id: string,
  revision = 1,
  name = "Assistant",
): ConnectionRecord {
  const at = new Date(Date.UTC(2026, 0, 1, 12, 0, revision)).toISOString();
  return {
    id,
    tenantId,
    connector: "openai",
    instanceName: name,
    configuration: { model: "gpt-4o", options: { temperature: 0.2, stop: ["\n", "ünïcode"] }, flag: null },
    secretsReferences: { api_key: { secret_name: "openai_api_key", field: "apiKey", version: 2 } },
    ownedSecrets: [],
    createdAt: at,
    updatedAt: at,
    revision,
    status: "pending",
    statusReason: "created",
    lastTransitionAt: at,
    history: [{ from: null, to: "pending", reason: "created", at }],
  };
}

async function rejectsWith(promise: Promise<unknown>, check: (error: unknown) => boolean, what: string) {
  const outcome = await promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
  assert.ok(outcome !== "resolved" && check(outcome), `expected ${what}`);
}

export function runConnectionStoreContract(
  options: ConnectionStoreContractOptions,
  test: Pick<TestFunctions, "describe" | "it" | "beforeAll" | "afterAll">,
): void {
  const { describe, it, beforeAll, afterAll } = test;
  describe(`connection store contract: ${options.name}`, () => {
    let store: ConnectionStore;
    beforeAll(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      await options.cleanup?.();
    });

    it("a written record reads back equal, and a caller's change to it never reaches the store; an unknown id is undefined", async () => {
      const tenantId = uniqueTenant();
      const record = sampleRecord(tenantId, "conn-1");
      await store.put(record, 0);
      const read = await store.get(tenantId, "conn-1");
      assert.deepEqual(read, record);
      // A store hands out a copy (the change stays the caller's) or a frozen record (it throws).
      assert.equal(
        Reflect.set(read as object, "instanceName", "changed by the caller"),
        !Object.isFrozen(read),
      );
      assert.equal((await store.get(tenantId, "conn-1"))?.instanceName, "Assistant");
      assert.equal(await store.get(tenantId, "conn-2"), undefined);
    });

    it("compare-and-set on the revision: a stale or absent expectation is a ConflictError and changes nothing", async () => {
      const tenantId = uniqueTenant();
      await store.put(sampleRecord(tenantId, "c", 1, "v1"), 0);
      await rejectsWith(
        store.put(sampleRecord(tenantId, "c", 1, "again"), 0),
        ConflictError.isInstance,
        "conflict",
      );
      await store.put(sampleRecord(tenantId, "c", 2, "v2"), 1);
      await rejectsWith(
        store.put(sampleRecord(tenantId, "c", 2, "stale"), 1),
        ConflictError.isInstance,
        "conflict",
      );
      await rejectsWith(
        store.put(sampleRecord(tenantId, "c", 4, "ahead"), 3),
        ConflictError.isInstance,
        "conflict",
      );
      await rejectsWith(
        store.put(sampleRecord(tenantId, "d", 2, "none"), 1),
        ConflictError.isInstance,
        "conflict",
      );
      const read = await store.get(tenantId, "c");
      assert.equal(read?.instanceName, "v2");
      assert.equal(read?.revision, 2);
      assert.equal(await store.get(tenantId, "d"), undefined);
    });

    it("concurrent writers with one expected revision: one wins and the record is the winner's", async () => {
      const tenantId = uniqueTenant();
      const writers = Array.from({ length: 8 }, (_, index) => `writer-${index}`);
      const creates = await Promise.allSettled(
        writers.map((name) => store.put(sampleRecord(tenantId, "race", 1, name), 0)),
      );
      const updates = await Promise.allSettled(
        writers.map((name) => store.put(sampleRecord(tenantId, "race", 2, `${name}-2`), 1)),
      );
      for (const outcomes of [creates, updates]) {
        const won = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
        for (const outcome of outcomes) {
          if (outcome.status === "rejected")
            assert.ok(ConflictError.isInstance(outcome.reason), "losers get ConflictError");
        }
        if ((options.compareAndSet ?? "atomic") === "atomic") assert.equal(won, 1);
        else assert.ok(won >= 1);
      }
      const read = await store.get(tenantId, "race");
      const winner = writers.findIndex((_, index) => updates[index]?.status === "fulfilled");
      assert.equal(read?.revision, 2);
      if ((options.compareAndSet ?? "atomic") === "atomic")
        assert.equal(read?.instanceName, `writer-${winner}-2`);
    });

    it("tenants are isolated: one id in two tenants, confusable ids, list and delete stay in their tenant", async () => {
      const a = uniqueTenant();
      const b = uniqueTenant();
      await store.put(sampleRecord(a, "shared", 1, "of a"), 0);
      await store.put(sampleRecord(b, "shared", 1, "of b"), 0);
      await store.put(sampleRecord(`${a}:x`, "y", 1, "first"), 0);
      await store.put(sampleRecord(a, "x:y", 1, "second"), 0);
      assert.equal((await store.get(a, "shared"))?.instanceName, "of a");
      assert.equal((await store.get(b, "shared"))?.instanceName, "of b");
      assert.equal((await store.get(`${a}:x`, "y"))?.instanceName, "first");
      assert.equal((await store.get(a, "x:y"))?.instanceName, "second");
      assert.equal(await store.get(b, "x:y"), undefined);
      assert.deepEqual(
        (await store.list(b)).items.map((item) => [item.tenantId, item.id]),
        [[b, "shared"]],
      );
      assert.equal(await store.delete(b, "x:y"), false);
      assert.equal(await store.delete(b, "shared"), true);
      assert.equal((await store.get(a, "shared"))?.instanceName, "of a");
    });

    it("paging: one call per page, full pages of `limit` until the last, every record exactly once", async () => {
      const tenantId = uniqueTenant();
      const ids = ["b", "a", "g", "c.1", "e", "d", "f"];
      for (const id of ids) await store.put(sampleRecord(tenantId, id), 0);
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(tenantId, { limit: 3, ...(cursor !== undefined ? { cursor } : {}) });
        sizes.push(page.items.length);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.cursor;
      } while (cursor !== undefined);
      assert.deepEqual([...seen].sort(), [...ids].sort());
      assert.deepEqual(sizes, [3, 3, 1]);
      const all = await store.list(tenantId);
      assert.deepEqual(all.items.map((item) => item.id).sort(), [...ids].sort());
      assert.equal(all.cursor, undefined);
      assert.deepEqual(
        all.items.find((item) => item.id === "a"),
        sampleRecord(tenantId, "a"),
      );
      assert.deepEqual(await store.list(uniqueTenant()), { items: [] });
    });

    it("paging input is checked: limit 0, -5, 1.5, 1001 and a garbage cursor are ValidationErrors", async () => {
      const tenantId = uniqueTenant();
      await store.put(sampleRecord(tenantId, "only"), 0);
      for (const limit of [0, -5, 1.5, 1001, Number.NaN]) {
        await rejectsWith(
          store.list(tenantId, { limit }),
          ValidationError.isInstance,
          `limit ${limit} refused`,
        );
      }
      await rejectsWith(
        store.list(tenantId, { cursor: "not-a-cursor" }),
        ValidationError.isInstance,
        "cursor refused",
      );
    });

    it("delete removes for good: gone from get and list, false the second time, and the id starts afresh", async () => {
      const tenantId = uniqueTenant();
      await store.put(sampleRecord(tenantId, "gone", 1, "old"), 0);
      await store.put(sampleRecord(tenantId, "gone", 2, "old"), 1);
      await store.put(sampleRecord(tenantId, "kept"), 0);
      assert.equal(await store.delete(tenantId, "gone"), true);
      assert.equal(await store.get(tenantId, "gone"), undefined);
      assert.deepEqual(
        (await store.list(tenantId)).items.map((item) => item.id),
        ["kept"],
      );
      assert.equal(await store.delete(tenantId, "gone"), false);
      await store.put(sampleRecord(tenantId, "gone", 1, "new"), 0);
      assert.equal((await store.get(tenantId, "gone"))?.instanceName, "new");
      assert.equal((await store.get(tenantId, "gone"))?.revision, 1);
    });

    it("ids with unicode, dots, colons and dashes round-trip", async () => {
      const tenantId = `${uniqueTenant()}/ünï:--`;
      const ids = ["conn_1.a:b-c", "ünïcödé", "UPPER", "upper"];
      for (const id of ids) await store.put(sampleRecord(tenantId, id), 0);
      for (const id of ids) assert.equal((await store.get(tenantId, id))?.id, id);
      assert.deepEqual((await store.list(tenantId)).items.map((item) => item.id).sort(), [...ids].sort());
    });
  });
}
