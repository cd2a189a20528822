/**
 * The one suite every backend must pass, parameterised by a factory and the backend's declared
 * capabilities. It drives the backend through `CredentialManager`, as users do, plus a few raw
 * backend checks (payloads are opaque, keys are injective). The test functions are injected, so a
 * backend written outside this repository runs the same suite with its own vitest:
 *
 *   import { afterAll, beforeAll, describe, expect, it } from "vitest";
 *   runBackendContract({ name: "mine", create: async () => myBackend() }, { afterAll, beforeAll, describe, expect, it });
 */
import type { Backend } from "../core/backend.js";
import { CredentialManager, type CredentialManagerOptions } from "../core/credential-manager.js";
import {
  ConflictError,
  DeletedError,
  ExpiredError,
  IntegrityError,
  NotFoundError,
  UnsupportedError,
  ValidationError,
} from "../core/errors.js";
import { encodeKey } from "../core/key-encoding.js";
import type { KeyProvider } from "../core/keyring.js";
import { Secret } from "../core/secret.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A, TEST_KEY_B, uniqueId } from "./fixtures.js";
import { runReadOnlyContract, type SeedInput } from "./read-only-contract.js";
import { skippedWhen, type TestFunctions } from "./test-functions.js";
import { registerUniformBehaviourCases } from "./uniform-behaviour-cases.js";

export interface BackendContractOptions {
  /** Suite title. */
  name: string;
  /** Builds the backend under test (called once per suite). */
  create: () => Promise<Backend>;
  /**
   * The key provider the suite's managers encrypt with (called once per suite), e.g. a KMS key
   * provider over a test key, to run the whole contract through its envelope path. The cases
   * about moving between local keys use local keys of their own.
   * @default a local keyring with a fixed test key
   */
  encryption?: (() => KeyProvider | Promise<KeyProvider>) | undefined;
  /** Called after the suite, with the backend, before `close`. */
  cleanup?: ((backend: Backend) => Promise<void>) | undefined;
  /**
   * How many concurrent compare-and-set writers the CAS test uses.
   * @default 10
   */
  concurrentWriters?: number | undefined;
  /**
   * Required for a read-only backend (`capabilities.readOnly`): puts a credential in place the
   * way the store's users do (e.g. sets an environment variable). The suite then runs its
   * read-only cases, and skips the cases that write.
   */
  seed?: ((input: SeedInput) => Promise<void>) | undefined;
}

function reveal(fields: Readonly<Record<string, Secret>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, secret]) => [name, secret.reveal()]));
}

/** Registers the backend contract suite with the given test functions (vitest's, or compatible). */
export function runBackendContract(options: BackendContractOptions, test: TestFunctions): void {
  const { afterAll, beforeAll, describe, expect } = test;
  if (options.seed) runReadOnlyContract({ ...options, seed: options.seed }, test);
  describe(`backend contract: ${options.name}`, () => {
    let backend: Backend;
    // why: every case below writes; a read-only backend proves itself with the read-only cases.
    const it = skippedWhen(test.it, () => backend?.capabilities.readOnly === true, "read-only backend");
    let manager: CredentialManager;
    let keys: KeyProvider;
    const managerWith = (overrides: Partial<CredentialManagerOptions> = {}) =>
      new CredentialManager({ backend, encryption: keys, cache: false, ...overrides });

    beforeAll(async () => {
      keys = (await options.encryption?.()) ?? keyring();
      await keys.check?.();
      backend = await options.create();
      if (backend.capabilities.readOnly && !options.seed) {
        throw new Error(
          `${options.name} is read-only: pass the seed option so the suite can put records in place.`,
        );
      }
      manager = managerWith();
    });

    afterAll(async () => {
      if (!backend) return;
      await options.cleanup?.(backend);
      await backend.close?.();
    });

    registerUniformBehaviourCases({ it, expect, backend: () => backend, managerWith });

    it("stores and reads back a credential as Secrets, at version 1", async () => {
      const tenantId = uniqueId("tenant");
      const key = canary();
      const info = await manager.storeCredentials("openai", tenantId, { apiKey: key }, { type: "api_key" });
      expect(info.version).toBe(1);
      expect(info.type).toBe("api_key");
      const credentials = await manager.getCredentials("openai", tenantId);
      expect(credentials.apiKey).toBeInstanceOf(Secret);
      expect(credentials.apiKey?.reveal()).toBe(key);
      assertNoLeak(credentials, key);
      assertNoLeak(info, key);
    });

    it("never hands the backend a plaintext value", async () => {
      const tenantId = uniqueId("tenant");
      const key = canary();
      await manager.storeCredentials("conn", tenantId, { apiKey: key, note: "plain-marker" });
      const record = await backend.get(encodeKey(tenantId, "conn", backend.capabilities.maxKeyLength));
      expect(record).toBeDefined();
      assertNoLeak(record, key);
      expect(JSON.stringify(record)).not.toContain("plain-marker");
    });

    it("reports a missing credential as NotFoundError, not deleted", async () => {
      const error = await manager.getCredentials("nope", uniqueId("tenant")).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(error)).toBe(true);
      expect(DeletedError.isInstance(error)).toBe(false);
    });

    it("writes a new version on rotate and keeps the type", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("c", tenantId, { token: "first-token-value" }, { type: "bearer_token" });
      const rotated = await manager.rotateCredentials("c", tenantId, { token: "second-token-value" });
      expect(rotated.version).toBe(2);
      expect(rotated.type).toBe("bearer_token");
      expect(reveal(await manager.getCredentials("c", tenantId))).toEqual({ token: "second-token-value" });
    });

    it("reads a pinned version where the backend keeps versions", async ({ skip }) => {
      if (!backend.capabilities.versions) skip("backend keeps no versions");
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("c", tenantId, { apiKey: "version-one-value" });
      await manager.rotateCredentials("c", tenantId, { apiKey: "version-two-value" });
      expect(reveal(await manager.getCredentials("c", tenantId, { version: 1 }))).toEqual({
        apiKey: "version-one-value",
      });
      expect(reveal(await manager.getCredentials("c", tenantId, { version: 2 }))).toEqual({
        apiKey: "version-two-value",
      });
      const missing = await manager.getCredentials("c", tenantId, { version: 99 }).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(missing)).toBe(true);
    });

    it("rotating a credential that does not exist is NotFoundError", async () => {
      const error = await manager
        .rotateCredentials("ghost", uniqueId("tenant"), { apiKey: "x".repeat(20) })
        .catch((e: unknown) => e);
      expect(NotFoundError.isInstance(error)).toBe(true);
    });

    it("updates some fields and keeps the others", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials(
        "db",
        tenantId,
        { username: "app", password: "old-password-1" },
        { type: "http_basic" },
      );
      const updated = await manager.updateCredentials("db", tenantId, { password: "new-password-2" });
      expect(updated.version).toBe(2);
      expect(reveal(await manager.getCredentials("db", tenantId))).toEqual({
        username: "app",
        password: "new-password-2",
      });
    });

    it("honours ifVersion: a stale version conflicts, the current one writes", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("c", tenantId, { apiKey: "cas-value-0001" }, { ifVersion: 0 });
      const duplicate = await manager
        .storeCredentials("c", tenantId, { apiKey: "cas-value-0002" }, { ifVersion: 0 })
        .catch((e: unknown) => e);
      expect(ConflictError.isInstance(duplicate)).toBe(true);
      await manager.rotateCredentials("c", tenantId, { apiKey: "cas-value-0003" }, { ifVersion: 1 });
      const stale = await manager
        .rotateCredentials("c", tenantId, { apiKey: "cas-value-0004" }, { ifVersion: 1 })
        .catch((e: unknown) => e);
      expect(ConflictError.isInstance(stale)).toBe(true);
      expect(reveal(await manager.getCredentials("c", tenantId))).toEqual({ apiKey: "cas-value-0003" });
    });

    it("concurrent compare-and-set writers: each wins a distinct version or conflicts, none is lost", async () => {
      const tenantId = uniqueId("tenant");
      const writers = options.concurrentWriters ?? 10;
      await manager.storeCredentials("hot", tenantId, { apiKey: "start-value-000" });
      const outcomes = await Promise.allSettled(
        Array.from({ length: writers }, (_, index) =>
          manager.rotateCredentials("hot", tenantId, { apiKey: `writer-value-${index}` }, { ifVersion: 1 }),
        ),
      );
      const winners = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const losers = outcomes.filter((outcome) => outcome.status === "rejected");
      for (const loser of losers) {
        expect(ConflictError.isInstance((loser as PromiseRejectedResult).reason)).toBe(true);
      }
      if (backend.capabilities.compareAndSet === "atomic") {
        expect(winners).toHaveLength(1);
        const winner = (winners[0] as PromiseFulfilledResult<{ version: number }>).value;
        expect(winner.version).toBe(2);
        const stored = await manager.describeCredentials("hot", tenantId);
        expect(stored.version).toBe(2);
      } else {
        // best-effort CAS (eventually consistent stores) cannot promise a single winner.
        expect(winners.length).toBeGreaterThanOrEqual(1);
      }
    });

    it("unconditional concurrent writes each get their own version", async ({ skip }) => {
      if (backend.capabilities.compareAndSet !== "atomic") skip("compare-and-set is best-effort");
      const tenantId = uniqueId("tenant");
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          manager.storeCredentials("many", tenantId, { apiKey: `parallel-value-${index}` }),
        ),
      );
      const versions = results.map((result) => result.version).sort((a, b) => a - b);
      expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it("keeps tenants apart whatever the ids contain", async () => {
      const pairs: Array<[string, string]> = [
        ["a:b", "c"],
        ["a", "b:c"],
        ["a/b", "c"],
        ["a", "b/c"],
        ["../etc", "passwd"],
        ["..", "..%2F"],
        ["A", "x"],
        ["a", "x"],
        ["", "-"],
        ["-", " -"],
        ["", " a"],
        ["--", "-"],
        ["Ωmega 🚀", "名前"],
        // the longest ids (256 bytes) are hashed on stores with short keys
        ["t".repeat(230), "n".repeat(256)],
        ["t".repeat(230), `${"n".repeat(255)}m`],
      ];
      const run = uniqueId("iso");
      await Promise.all(
        pairs.map(([tenantId, connectionId], index) =>
          manager.storeCredentials(connectionId, `${run}${tenantId}`, { apiKey: `isolation-${index}-value` }),
        ),
      );
      for (const [index, [tenantId, connectionId]] of pairs.entries()) {
        expect(reveal(await manager.getCredentials(connectionId, `${run}${tenantId}`))).toEqual({
          apiKey: `isolation-${index}-value`,
        });
      }
      const other = await manager.getCredentials("c", `${run}a`).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(other)).toBe(true);
    });

    it("lists a tenant's credentials with metadata only, paging through all of them", async () => {
      const tenantId = uniqueId("tenant");
      const secret = canary();
      const connectionIds = ["one", "two", "three", "four", "five"];
      for (const connectionId of connectionIds)
        await manager.storeCredentials(connectionId, tenantId, { apiKey: secret });
      await manager.storeCredentials("elsewhere", uniqueId("tenant"), { apiKey: secret });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await manager.listCredentials(tenantId, { limit: 2, ...(cursor ? { cursor } : {}) });
        assertNoLeak(page, secret);
        seen.push(...page.items.map((item) => item.connectionId));
        for (const item of page.items) expect(item.tenantId).toBe(tenantId);
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 20);
      expect(seen.sort()).toEqual([...connectionIds].sort());
    });

    it("describes a credential: type, fingerprints, version, times, status, usage", async () => {
      const tenantId = uniqueId("tenant");
      const key = canary();
      await manager.storeCredentials("d", tenantId, { apiKey: key }, { type: "api_key", actor: "admin-7" });
      await manager.getCredentials("d", tenantId, { accessor: "connector_42" });
      const info = await manager.describeCredentials("d", tenantId);
      expect(info).toMatchObject({
        tenantId,
        connectionId: "d",
        type: "api_key",
        version: 1,
        status: "active",
      });
      // a KMS cannot key fingerprints: a manager over one alone records none
      if (keys.fingerprint) expect(info.fingerprints.apiKey).toMatch(/^[0-9a-f]{8}$/);
      else expect(info.fingerprints).toEqual({});
      expect(info.createdBy).toBe("admin-7");
      expect(info.keyId).toBe(keys.currentKeyId);
      expect(info.accessCount).toBe(1);
      expect(info.lastAccessAt).toBeInstanceOf(Date);
      expect(info.createdAt.getTime()).toBeLessThanOrEqual(info.updatedAt.getTime());
      assertNoLeak(info, key);
    });

    it("soft-deletes and restores where it can, purges for good", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("del", tenantId, { apiKey: "delete-me-value" });
      await manager.deleteCredentials("del", tenantId);
      const afterDelete = await manager.getCredentials("del", tenantId).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(afterDelete)).toBe(true);
      if (backend.capabilities.softDelete) {
        expect(DeletedError.isInstance(afterDelete)).toBe(true);
        const listed = await manager.listCredentials(tenantId, { includeDeleted: true });
        expect(listed.items.map((item) => [item.connectionId, item.status])).toEqual([["del", "deleted"]]);
        expect((await manager.listCredentials(tenantId)).items).toEqual([]);
        await manager.restoreCredentials("del", tenantId);
        expect(reveal(await manager.getCredentials("del", tenantId))).toEqual({ apiKey: "delete-me-value" });
      } else {
        const restore = await manager.restoreCredentials("del", tenantId).catch((e: unknown) => e);
        expect(UnsupportedError.isInstance(restore)).toBe(true);
        await manager.storeCredentials("del", tenantId, { apiKey: "delete-me-value" });
      }
      await manager.purgeCredentials("del", tenantId);
      const afterPurge = await manager.getCredentials("del", tenantId).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(afterPurge)).toBe(true);
      expect(DeletedError.isInstance(afterPurge)).toBe(false);
    });

    it("deleting a credential that does not exist is NotFoundError", async () => {
      const error = await manager.deleteCredentials("ghost", uniqueId("tenant")).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(error)).toBe(true);
    });

    it("stores again after a delete", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("again", tenantId, { apiKey: "before-delete-value" });
      await manager.deleteCredentials("again", tenantId);
      await manager.storeCredentials("again", tenantId, { apiKey: "after-delete-value" });
      expect(reveal(await manager.getCredentials("again", tenantId))).toEqual({
        apiKey: "after-delete-value",
      });
    });

    it("reports expired credentials as expired", async () => {
      const tenantId = uniqueId("tenant");
      const past = new Date(Date.now() - 60_000);
      await manager.storeCredentials(
        "old",
        tenantId,
        { accessToken: "expired-access-token" },
        { type: "oauth", expiresAt: past },
      );
      const error = await manager.getCredentials("old", tenantId).catch((e: unknown) => e);
      expect(ExpiredError.isInstance(error)).toBe(true);
      expect((await manager.describeCredentials("old", tenantId)).status).toBe("expired");
      const allowed = await manager.getCredentials("old", tenantId, { allowExpired: true });
      expect(allowed.accessToken?.reveal()).toBe("expired-access-token");
    });

    it("rejects bad input with a typed error that names the field and not the value", async () => {
      const tenantId = uniqueId("tenant");
      const value = canary();
      const error = await manager
        .storeCredentials("bad", tenantId, { dsn: value }, { type: "db_dsn" })
        .catch((e: unknown) => e);
      expect(ValidationError.isInstance(error)).toBe(true);
      expect((error as ValidationError).field).toBe("dsn");
      assertNoLeak(error, value);
      const missing = await manager.getCredentials("bad", tenantId).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(missing)).toBe(true);
    });

    it("a ciphertext copied onto another record fails as IntegrityError", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("source", tenantId, { apiKey: "moved-value-123" });
      const max = backend.capabilities.maxKeyLength;
      const source = await backend.get(encodeKey(tenantId, "source", max));
      await manager.storeCredentials("target", tenantId, { apiKey: "target-value-123" });
      const targetKey = encodeKey(tenantId, "target", max);
      const target = await backend.get(targetKey);
      await backend.put(targetKey, {
        value: source?.value ?? "",
        metadata: target?.metadata ?? source!.metadata,
      });
      const error = await manager.getCredentials("target", tenantId).catch((e: unknown) => e);
      expect(IntegrityError.isInstance(error)).toBe(true);
    });

    it("reads several credentials at once, each with its own outcome", async () => {
      const tenantId = uniqueId("tenant");
      await manager.storeCredentials("a", tenantId, { apiKey: "batch-value-a" });
      await manager.storeCredentials("b", tenantId, { apiKey: "batch-value-b" });
      const results = await manager.getManyCredentials([
        { connectionId: "a", userId: tenantId },
        { connectionId: "missing", userId: tenantId },
        { connectionId: "b", userId: tenantId },
      ]);
      expect(results[0]).toMatchObject({ ok: true, version: 1 });
      expect(results[0]?.ok && results[0].credentials.apiKey?.reveal()).toBe("batch-value-a");
      expect(results[1]?.ok).toBe(false);
      expect(!results[1]?.ok && NotFoundError.isInstance(results[1]?.error)).toBe(true);
      expect(results[2]?.ok && results[2].credentials.apiKey?.reveal()).toBe("batch-value-b");
    });

    it("rewraps records onto the current key; old keys then are no longer needed", async () => {
      const tenantId = uniqueId("tenant");
      const oldManager = managerWith({ encryption: keyring(TEST_KEY_A) });
      await oldManager.storeCredentials("wrap", tenantId, { apiKey: "rewrap-value-123" });
      const rotatedManager = managerWith({ encryption: keyring(TEST_KEY_B, TEST_KEY_A) });
      expect(reveal(await rotatedManager.getCredentials("wrap", tenantId))).toEqual({
        apiKey: "rewrap-value-123",
      });
      const result = await rotatedManager.rewrap({ userId: tenantId });
      expect(result.rewrapped).toBe(1);
      const newOnly = managerWith({ encryption: keyring(TEST_KEY_B) });
      expect(reveal(await newOnly.getCredentials("wrap", tenantId))).toEqual({ apiKey: "rewrap-value-123" });
      const oldOnly = await oldManager.getCredentials("wrap", tenantId).catch((e: unknown) => e);
      expect(IntegrityError.isInstance(oldOnly)).toBe(true);
    });

    it("serves reads through the cache and invalidates on write", async () => {
      const cached = managerWith({ cache: { ttlMs: 60_000 } });
      const tenantId = uniqueId("tenant");
      await cached.storeCredentials("c", tenantId, { apiKey: "cached-value-001" });
      await cached.getCredentials("c", tenantId);
      await cached.getCredentials("c", tenantId);
      await cached.rotateCredentials("c", tenantId, { apiKey: "cached-value-002" });
      expect((await cached.getCredentials("c", tenantId)).apiKey?.reveal()).toBe("cached-value-002");
      const reads = cached.audit.events({ tenant: tenantId, action: "read" }).map((event) => event.cache);
      expect(reads).toEqual(["miss", "hit", "miss"]);
    });

    it("round-trips awkward values: unicode, newlines, large", async () => {
      const tenantId = uniqueId("tenant");
      const fields = { apiKey: 'ключ-🔑-\n\t"quoted"', big: "x".repeat(16 * 1024) };
      await manager.storeCredentials("awkward", tenantId, fields);
      expect(reveal(await manager.getCredentials("awkward", tenantId))).toEqual(fields);
    });
  });
}
