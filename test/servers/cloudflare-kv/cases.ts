/**
 * Cloudflare-specific cases both modes must pass, run by the binding test (real workerd KV
 * through miniflare) and the REST test (the loopback server). They look at the raw KV keys
 * underneath through the mode's own transport.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kvError } from "../../../src/backends/cloudflare-kv/errors.js";
import {
  type CloudflareKvCommonOptions,
  DEFAULT_EXPIRY_GRACE_SECONDS,
  MAX_KEY_BYTES,
  MAX_METADATA_BYTES,
} from "../../../src/backends/cloudflare-kv/index.js";
import type { KvListedKey, KvTransport } from "../../../src/backends/cloudflare-kv/transport.js";
import type { Backend } from "../../../src/core/backend.js";
import { CredentialManager } from "../../../src/core/credential-manager.js";
import { ConflictError, DeletedError, NotFoundError, ValidationError } from "../../../src/core/errors.js";
import { encodeKey } from "../../../src/core/key-encoding.js";
import type { AttemptContext } from "../../../src/core/retry.js";
import { canary, keyring } from "../../support/fixtures.js";
import { malformed, proveRecordGuard } from "../../support/record-guard.js";

export interface KvCaseTarget {
  /** A backend of this mode with these options (the prefix is always given). */
  create(options: CloudflareKvCommonOptions & { prefix: string }): Backend;
  /** The mode's transport over the same namespace, to look at raw keys. */
  transport(): KvTransport;
}

/** A retry attempt's context, as `withRetry` hands it to a transport call. */
const attempt = (): AttemptContext => ({ signal: AbortSignal.timeout(10_000), attempt: 0 });
const bytes = (text: string) => Buffer.byteLength(text, "utf8");
/** A prefix no other test uses, so raw listings see only this test's keys. */
const freshPrefix = () => `t${randomBytes(4).toString("hex")}/`;

export async function rawKeys(transport: KvTransport, prefix: string): Promise<KvListedKey[]> {
  const keys: KvListedKey[] = [];
  let cursor: string | undefined;
  do {
    const page = await transport.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) }, attempt());
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

function managerOf(backend: Backend): CredentialManager {
  return new CredentialManager({ backend, encryption: keyring(), cache: false });
}

export function runCloudflareKvCases(mode: string, target: () => KvCaseTarget): void {
  describe(`cloudflare KV specifics (${mode})`, () => {
    it("masked forms round-trip; a stored head or version edited to malformed metadata is IntegrityError", async () => {
      const prefix = freshPrefix();
      const backend = target().create({ prefix });
      const key = encodeKey("guard", "guarded", backend.capabilities.maxKeyLength);
      const tamper = async () => {
        const transport = target().transport();
        for (const { name } of await rawKeys(transport, prefix)) {
          const record = JSON.parse((await transport.get(name, attempt())) as string);
          await transport.put(
            name,
            JSON.stringify({ ...record, metadata: malformed(record.metadata) }),
            {},
            attempt(),
          );
        }
      };
      await proveRecordGuard(backend, key, tamper, target().create({ prefix }));
    });

    it("declares KV's limits and best-effort semantics honestly", () => {
      const prefix = freshPrefix();
      const backend = target().create({ prefix });
      expect(backend.capabilities).toEqual({
        versions: true,
        compareAndSet: "best-effort",
        softDelete: true,
        // the version key adds "v/", "/" and ten digits to prefix + id
        maxKeyLength: MAX_KEY_BYTES - bytes(prefix) - 13,
      });
    });

    it("stores keys at exactly 512 bytes, and hashes a name one byte longer", async () => {
      const prefix = freshPrefix();
      const backend = target().create({ prefix });
      const manager = managerOf(backend);
      const max = backend.capabilities.maxKeyLength;
      // why: ids are at most 256 bytes; "N" escapes to three characters, so a key reaches the limit.
      const budget = max - "t--".length;
      const atLimit = "N".repeat(Math.floor(budget / 3)) + "n".repeat(budget % 3);
      expect(encodeKey("t", atLimit, max).id).toHaveLength(max);
      await manager.storeCredentials(atLimit, "t", { apiKey: "limit-value-0001" });
      await manager.rotateCredentials(atLimit, "t", { apiKey: "limit-value-0002" });
      const names = (await rawKeys(target().transport(), prefix)).map((key) => key.name);
      expect(Math.max(...names.map(bytes))).toBe(MAX_KEY_BYTES);
      expect(names.filter((name) => bytes(name) === MAX_KEY_BYTES)).toHaveLength(2);
      expect((await manager.getCredentials(atLimit, "t", { version: 1 })).apiKey?.reveal()).toBe(
        "limit-value-0001",
      );
      expect((await manager.getCredentials(atLimit, "t")).apiKey?.reveal()).toBe("limit-value-0002");

      const beyond = `${atLimit}n`;
      const hashed = encodeKey("t", beyond, max);
      expect(hashed.connectionSegment.startsWith("-h")).toBe(true);
      await manager.storeCredentials(beyond, "t", { apiKey: "beyond-value-001" });
      expect((await manager.getCredentials(beyond, "t")).apiKey?.reveal()).toBe("beyond-value-001");
      expect((await manager.getCredentials(atLimit, "t")).apiKey?.reveal()).toBe("limit-value-0002");
      for (const key of await rawKeys(target().transport(), prefix)) {
        expect(bytes(key.name)).toBeLessThanOrEqual(MAX_KEY_BYTES);
      }
    });

    it("the store itself refuses a 513-byte key, typed as ValidationError; the backend never sends one", async () => {
      const transport = target().transport();
      const key512 = `${freshPrefix()}${"k".repeat(MAX_KEY_BYTES - 10)}`;
      await transport.put(key512, "ok", {}, attempt());
      await transport.delete(key512, attempt());
      const refused = await transport.put(`${key512}k`, "no", {}, attempt()).catch((error: unknown) => error);
      const typed = kvError(refused, "write");
      expect(ValidationError.isInstance(typed)).toBe(true);
      expect((typed as ValidationError).field).toBe("key");

      const backend = target().create({ prefix: freshPrefix() });
      const max = backend.capabilities.maxKeyLength;
      const tooLong = {
        tenantId: "t",
        connectionId: "n",
        tenantSegment: "t",
        connectionSegment: "n".repeat(max),
        id: `t--${"n".repeat(max)}`,
      };
      const error = await backend.get(tooLong).catch((e: unknown) => e);
      expect(ValidationError.isInstance(error)).toBe(true);
    });

    it("maps credential expiry onto KV expiration, never under KV's 60-second minimum", async () => {
      const prefix = freshPrefix();
      const exact = managerOf(target().create({ prefix, expiryGraceSeconds: 0 }));
      const expiresAt = new Date(Date.now() + 2 * 3600_000 + 123);
      await exact.storeCredentials("soon", "t", { apiKey: "expiring-value-1" }, { expiresAt });
      const keyed = async () => (await rawKeys(target().transport(), prefix)).map((key) => key.expiration);
      expect(await keyed()).toEqual([
        Math.ceil(expiresAt.getTime() / 1000),
        Math.ceil(expiresAt.getTime() / 1000),
      ]);

      const pastPrefix = freshPrefix();
      const past = managerOf(target().create({ prefix: pastPrefix, expiryGraceSeconds: 0 }));
      const before = Math.floor(Date.now() / 1000);
      await past.storeCredentials(
        "old",
        "t",
        { apiKey: "expired-value-01" },
        { expiresAt: new Date(Date.now() - 3600_000) },
      );
      for (const key of await rawKeys(target().transport(), pastPrefix)) {
        expect(key.expiration).toBeGreaterThanOrEqual(before + 60);
        expect(key.expiration).toBeLessThanOrEqual(before + 60 + 10 + 5);
      }
      expect((await past.describeCredentials("old", "t")).status).toBe("expired");

      const gracePrefix = freshPrefix();
      const graced = managerOf(target().create({ prefix: gracePrefix }));
      await graced.storeCredentials("g", "t", { apiKey: "graced-value-001" }, { expiresAt });
      for (const key of await rawKeys(target().transport(), gracePrefix)) {
        expect(key.expiration).toBe(Math.ceil(expiresAt.getTime() / 1000) + DEFAULT_EXPIRY_GRACE_SECONDS);
      }

      const neverPrefix = freshPrefix();
      const never = managerOf(target().create({ prefix: neverPrefix, expiryGraceSeconds: false }));
      await never.storeCredentials("n", "t", { apiKey: "never-value-0001" }, { expiresAt });
      for (const key of await rawKeys(target().transport(), neverPrefix))
        expect(key.expiration).toBeUndefined();

      // a later version without expiry leaves the head without a KV expiration
      await exact.rotateCredentials("soon", "t", { apiKey: "expiring-value-2" }, { expiresAt: undefined });
      const head = (await rawKeys(target().transport(), `${prefix}c/`))[0];
      expect(head?.expiration).toBeUndefined();
    });

    it("keeps non-secret metadata in KV metadata, compact when it would pass 1024 bytes", async () => {
      const prefix = freshPrefix();
      const manager = managerOf(target().create({ prefix }));
      const secret = canary();
      await manager.storeCredentials("short", "tenant-a", { apiKey: secret });
      const [short] = await rawKeys(target().transport(), `${prefix}c/`);
      expect(short?.metadata).toMatchObject({
        v: 1,
        m: { tenant: "tenant-a", name: "short", type: "custom" },
      });
      expect(JSON.stringify(short?.metadata)).not.toContain(secret);

      const longTenant = "ü".repeat(128);
      const fields = Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [`field${i}`, `value-${i}-${secret}`]),
      );
      await manager.storeCredentials("long", longTenant, fields);
      const heads = await rawKeys(target().transport(), `${prefix}c/`);
      const compact = heads.find((key) => key.name !== short?.name);
      expect(compact?.metadata).toEqual({ v: 1, r: expect.any(Number) });
      const listed = await manager.listCredentials(longTenant);
      expect(listed.items.map((item) => [item.connectionId, Object.keys(item.fingerprints).length])).toEqual([
        ["long", 30],
      ]);
      for (const key of heads)
        expect(bytes(JSON.stringify(key.metadata))).toBeLessThanOrEqual(MAX_METADATA_BYTES);
    });

    it("keeps every version under its own key; soft delete flags the head, purge removes every key", async () => {
      const prefix = freshPrefix();
      const backend = target().create({ prefix, maxVersions: 2 });
      const manager = managerOf(backend);
      for (let i = 1; i <= 4; i++) await manager.storeCredentials("v", "t", { apiKey: `version-value-${i}` });
      const names = (await rawKeys(target().transport(), prefix)).map((key) => key.name);
      expect(
        names.filter((name) => name.startsWith(`${prefix}v/`)).map((name) => Number(name.slice(-10))),
      ).toEqual([3, 4]);
      expect((await manager.getCredentials("v", "t", { version: 3 })).apiKey?.reveal()).toBe(
        "version-value-3",
      );
      const pruned = await manager.getCredentials("v", "t", { version: 1 }).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(pruned) && !DeletedError.isInstance(pruned)).toBe(true);

      await manager.deleteCredentials("v", "t");
      const [head] = await rawKeys(target().transport(), `${prefix}c/`);
      expect(head?.metadata).toMatchObject({ v: 4, d: 1 });
      const pinned = await manager.getCredentials("v", "t", { version: 3 }).catch((e: unknown) => e);
      expect(DeletedError.isInstance(pinned)).toBe(true);
      await manager.purgeCredentials("v", "t");
      expect(await rawKeys(target().transport(), prefix)).toEqual([]);
    });

    it("serialises one process's writes to a credential: no lost write, one compare-and-set winner", async () => {
      const manager = managerOf(target().create({ prefix: freshPrefix() }));
      const values = Array.from({ length: 6 }, (_, index) => `serial-value-${index}`);
      const stored = await Promise.all(
        values.map((apiKey) => manager.storeCredentials("s", "t", { apiKey })),
      );
      expect(stored.map((info) => info.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      for (const [index, info] of stored.entries()) {
        const read = await manager.getCredentials("s", "t", { version: info.version });
        expect(read.apiKey?.reveal()).toBe(values[index]);
      }
      const outcomes = await Promise.allSettled(
        values.map((apiKey) => manager.rotateCredentials("s", "t", { apiKey }, { ifVersion: 6 })),
      );
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") expect(ConflictError.isInstance(outcome.reason)).toBe(true);
      }
      expect((await manager.describeCredentials("s", "t")).version).toBe(7);
    });

    it("lists through several KV pages with a small limit, each credential exactly once", async () => {
      const manager = managerOf(target().create({ prefix: freshPrefix() }));
      const names = Array.from({ length: 23 }, (_, index) => `c${String(index).padStart(2, "0")}`);
      for (const name of names) await manager.storeCredentials(name, "t", { apiKey: `paged-${name}-value` });
      await manager.storeCredentials("other", "u", { apiKey: "other-tenant-val" });
      for (const limit of [4, 7]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await manager.listCredentials("t", { limit, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items.map((item) => item.connectionId));
          cursor = page.cursor;
          pages++;
        } while (cursor && pages < 20);
        expect(seen).toEqual(names);
      }
    });

    it("reads a batch in bulk: a record, an absence or a deleted error per slot", async () => {
      const backend = target().create({ prefix: freshPrefix() });
      const manager = managerOf(backend);
      await manager.storeCredentials("a", "t", { apiKey: "bulk-value-aaaa" });
      await manager.storeCredentials("d", "t", { apiKey: "bulk-value-dddd" });
      await manager.deleteCredentials("d", "t");
      const max = backend.capabilities.maxKeyLength;
      const slots = await backend.getMany?.(["a", "missing", "d"].map((name) => encodeKey("t", name, max)));
      expect(slots?.[0]).toMatchObject({ version: 1, metadata: { name: "a" } });
      expect(slots?.[1]).toBeUndefined();
      expect(DeletedError.isInstance(slots?.[2])).toBe(true);
    });
  });
}
