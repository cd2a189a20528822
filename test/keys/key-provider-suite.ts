/**
 * What every KMS key provider must show, run against its loopback KMS: the backend contract suite
 * on the memory and file stores with the provider's key, a data key bound to its record, the
 * bounded data-key cache and its single flights, typed failures (disabled key, throttling, a
 * corrupted answer) and canaries.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import type { KmsKeyProvider, KmsProviderOptions } from "../../src/kit/key-provider.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { assertNoLeak, canary, uniqueId } from "../support/fixtures.js";
import { tapOutput } from "../support/output.js";

/** One provider's fixture: a fresh key on its loopback KMS, and the server's controls. */
export interface KeyProviderFixture {
  /** A provider over the fixture's key. */
  create(options?: KmsProviderOptions): KmsKeyProvider;
  /** Unwrap calls the KMS has received so far. */
  unwrapCalls(): number;
  /** Calls that wrap a new data key (GenerateDataKey, Encrypt, wrapKey…) received so far. */
  wrapCalls(): number;
  /** Disables the key in the KMS (absent where the KMS cannot disable a key). */
  disable?(): void;
  enable?(): void;
  /** The next `times` calls are throttled. */
  throttleNext(times: number): void;
  /** The next `times` calls fail as the KMS does when it is down (5xx, gRPC UNAVAILABLE). */
  failNext(times: number): void;
  /** The next unwrap answer has one byte flipped. */
  flipNextUnwrap(): void;
}

export interface KeyProviderSuiteOptions {
  name: string;
  /** KMS credentials the provider holds, which must appear in no output. */
  secrets: readonly string[];
  setup(): Promise<KeyProviderFixture>;
  /**
   * What a corrupted unwrap answer becomes: `integrity` (the data key does not open the record)
   * or `retried` (the KMS's checksum catches it and the call is made again).
   * @default "integrity"
   */
  corruptedAnswer?: "integrity" | "retried";
}

const RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

function contextOf(index: number): Uint8Array {
  return new TextEncoder().encode(`tenant-${index}\0credential-${index}`);
}

/** The backend contract on the memory and file stores, every manager encrypting with a provider. */
function runContractOnStores(options: KeyProviderSuiteOptions): void {
  const encryption = async () => (await options.setup()).create({ retry: RETRY });
  runBackendContract({
    name: `memory, keys from ${options.name}`,
    create: async () => memoryBackend({ env: {} }),
    encryption,
  });
  let directory: string;
  runBackendContract({
    name: `file, keys from ${options.name}`,
    create: async () => {
      directory = await mkdtemp(join(tmpdir(), "credkit-kms-contract-"));
      return fileBackend({ directory });
    },
    cleanup: () => rm(directory, { recursive: true, force: true }),
    encryption,
  });
}

export function runKeyProviderSuite(options: KeyProviderSuiteOptions): void {
  runContractOnStores(options);
  describe(`key provider: ${options.name}`, () => {
    it("binds a wrapped data key to its record: another context does not unwrap it", async () => {
      const kms = (await options.setup()).create({ retry: RETRY, cache: false });
      const dataKey = new Uint8Array(32).fill(9);
      const wrapped = await kms.wrapKey(dataKey, contextOf(1));
      expect(Buffer.from(await kms.unwrapKey(kms.currentKeyId, wrapped, contextOf(1)))).toEqual(
        Buffer.from(dataKey),
      );
      await expect(kms.unwrapKey(kms.currentKeyId, wrapped, contextOf(2))).rejects.toMatchObject({
        code: "integrity",
      });
    });

    it("1,000 unwraps of 100 data keys make at most 100 KMS calls with the cache on; maxUses bounds reuse", async () => {
      const fixture = await options.setup();
      const kms = fixture.create({ retry: RETRY });
      const wrapped = await Promise.all(
        Array.from({ length: 100 }, (_, index) =>
          kms.wrapKey(new Uint8Array(32).fill(index), contextOf(index)),
        ),
      );
      const before = fixture.unwrapCalls();
      for (let pass = 0; pass < 10; pass++) {
        await Promise.all(
          wrapped.map((blob, index) => kms.unwrapKey(kms.currentKeyId, blob, contextOf(index))),
        );
      }
      expect(fixture.unwrapCalls() - before).toBe(100);
      const bounded = fixture.create({ retry: RETRY, cache: { maxUses: 2 } });
      const start = fixture.unwrapCalls();
      for (let use = 0; use < 4; use++)
        await bounded.unwrapKey(bounded.currentKeyId, wrapped[0] as Uint8Array, contextOf(0));
      expect(fixture.unwrapCalls() - start).toBe(2);
    });

    it("a generated data key is bound to its context: the KMS unwraps it for that context only", async () => {
      const kms = (await options.setup()).create({ retry: RETRY, cache: false });
      const generated = await kms.generateDataKey?.(contextOf(1));
      if (!generated) throw new Error("KMS providers generate data keys");
      expect(generated.dataKey).toHaveLength(32);
      const back = await kms.unwrapKey(kms.currentKeyId, generated.wrapped, contextOf(1));
      expect(Buffer.from(back)).toEqual(Buffer.from(generated.dataKey));
      await expect(kms.unwrapKey(kms.currentKeyId, generated.wrapped, contextOf(2))).rejects.toMatchObject({
        code: "integrity",
      });
    });

    it("writes reuse a data key per credential within the bounds; reads are bounded by them too", async () => {
      const fixture = await options.setup();
      const kms = fixture.create({ retry: RETRY, cache: { maxUses: 5 } });
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: kms,
        cache: false,
      });
      await kms.check(); // as createCredentialManager does: the current key version is known
      const writesBefore = fixture.wrapCalls();
      for (let write = 1; write <= 12; write++) {
        await manager.storeCredentials("openai", "acme", { apiKey: `sk-reuse-${write}` });
      }
      // one key serves a generation and 5 reuses: writes 1 and 7 ask the KMS, and 13 would
      expect(fixture.wrapCalls() - writesBefore).toBe(2);
      await manager.storeCredentials("anthropic", "acme", { apiKey: "sk-other-credential" });
      expect(fixture.wrapCalls() - writesBefore).toBe(3); // another credential, another key

      // a reader of its own (another process): every version opens; reads reuse within maxUses
      const reader = fixture.create({ retry: RETRY, cache: { maxUses: 2 } });
      const other = new CredentialManager({ backend: manager.backend, encryption: reader, cache: false });
      const readsBefore = fixture.unwrapCalls();
      for (let version = 1; version <= 12; version++) {
        const fields = await other.getCredentials("openai", "acme", { version });
        expect(fields.apiKey?.reveal()).toBe(`sk-reuse-${version}`);
      }
      // 12 versions under 2 wrapped keys; an unwrapped key serves its read and 2 more
      expect(fixture.unwrapCalls() - readsBefore).toBe(4);
      // the same record read again and again is held to the bounds too (nothing caches beside them)
      for (let read = 0; read < 6; read++) await other.getCredentials("openai", "acme");
      expect(fixture.unwrapCalls() - readsBefore).toBe(6);
      await reader.close();
      await kms.close();
    });

    it("50 concurrent first writes of a credential share one data-key call; a failed call fails them all and caches nothing", async () => {
      const fixture = await options.setup();
      const kms = fixture.create({ retry: RETRY });
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: kms,
        cache: false,
      });
      await kms.check();
      const burst = (name: string) =>
        Promise.allSettled(
          Array.from({ length: 50 }, (_, index) =>
            manager.storeCredentials(name, "acme", { apiKey: `sk-burst-${name}-${index}` }),
          ),
        );
      const before = fixture.wrapCalls();
      const written = await burst("openai");
      expect(written.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(50);
      expect(fixture.wrapCalls() - before).toBe(1);

      fixture.throttleNext(RETRY.attempts);
      const failed = await burst("anthropic");
      expect(fixture.wrapCalls() - before).toBe(1 + RETRY.attempts); // one shared call, retried
      for (const outcome of failed) {
        expect(outcome).toMatchObject({ status: "rejected", reason: { code: "throttled" } });
      }
      await manager.storeCredentials("anthropic", "acme", { apiKey: "sk-after-the-throttling" });
      expect(fixture.wrapCalls() - before).toBe(2 + RETRY.attempts);
      const reader = new CredentialManager({ backend: manager.backend, encryption: kms, cache: false });
      expect((await reader.getCredentials("anthropic", "acme")).apiKey?.reveal()).toBe(
        "sk-after-the-throttling",
      );
      await kms.close();
    });

    it("50 concurrent unwraps of one data key share one KMS call", async () => {
      const fixture = await options.setup();
      const writer = fixture.create({ retry: RETRY, cache: false });
      const wrapped = await writer.wrapKey(new Uint8Array(32).fill(5), contextOf(5));
      const reader = fixture.create({ retry: RETRY });
      const before = fixture.unwrapCalls();
      const keys = await Promise.all(
        Array.from({ length: 50 }, () => reader.unwrapKey(reader.currentKeyId, wrapped, contextOf(5))),
      );
      expect(new Set(keys.map((key) => Buffer.from(key).toString("hex")))).toEqual(
        new Set([Buffer.alloc(32, 5).toString("hex")]),
      );
      expect(fixture.unwrapCalls() - before).toBe(1);
    });

    it("verifyKeys() proves the key usable past the data-key cache and reports records it cannot open", async (test) => {
      const fixture = await options.setup();
      if (!fixture.disable || !fixture.enable) return test.skip("this KMS cannot disable a key");
      const kms = fixture.create({ retry: RETRY });
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: kms,
        cache: false,
      });
      await manager.storeCredentials("verified", "acme", { apiKey: "sk-verify-keys-000001" });
      expect(await manager.verifyKeys()).toMatchObject({ keyProvider: "usable", checked: 1, openable: 1 });
      fixture.disable();
      const warm = await manager.verifyKeys();
      // the record still opens from the cached data key, but the key itself is not usable
      expect(warm).toMatchObject({ keyProvider: "unusable", keyProviderError: { code: "key_disabled" } });
      const cold = new CredentialManager({
        backend: manager.backend,
        encryption: fixture.create({ retry: RETRY }),
        cache: false,
      });
      const report = await cold.verifyKeys();
      expect(report).toMatchObject({ keyProvider: "unusable", checked: 1, openable: 0 });
      expect(report.unopenable.map((failure) => failure.connectionId)).toEqual(["verified"]);
      fixture.enable();
      expect(await cold.verifyKeys()).toMatchObject({ keyProvider: "usable", openable: 1 });
    });

    it("a disabled key fails check() and uncached reads with KeyDisabledError; enabling it restores them", async (test) => {
      const fixture = await options.setup();
      if (!fixture.disable || !fixture.enable) return test.skip("this KMS cannot disable a key");
      const kms = fixture.create({ retry: RETRY, cache: false });
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: kms,
        cache: false,
      });
      await manager.storeCredentials("c", "acme", { apiKey: "sk-disabled-key-test-01" });
      fixture.disable();
      await expect(kms.check()).rejects.toMatchObject({ code: "key_disabled", source: options.name });
      const fresh = new CredentialManager({
        backend: manager.backend,
        encryption: fixture.create({ retry: RETRY, cache: false }),
        cache: false,
      });
      await expect(fresh.getCredentials("c", "acme")).rejects.toMatchObject({ code: "key_disabled" });
      fixture.enable();
      await kms.check();
      expect((await fresh.getCredentials("c", "acme")).apiKey?.reveal()).toBe("sk-disabled-key-test-01");
    });

    it.each([
      ["throttling", "throttled"],
      ["a 5xx answer", "unavailable"],
    ] as const)("%s is retried within bounds, then reported as code %s", async (_, code) => {
      const fixture = await options.setup();
      const kms = fixture.create({ retry: RETRY, cache: false });
      const failNext = code === "throttled" ? fixture.throttleNext : fixture.failNext;
      failNext(RETRY.attempts - 1);
      await kms.check();
      failNext(RETRY.attempts);
      await expect(kms.wrapKey(new Uint8Array(32), contextOf(0))).rejects.toMatchObject({
        code,
        source: options.name,
      });
    });

    it("a corrupted unwrap answer is never garbage: IntegrityError, or caught by a checksum and retried", async () => {
      const fixture = await options.setup();
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: fixture.create({ retry: RETRY, cache: false }),
        cache: false,
      });
      await manager.storeCredentials("c", "acme", { apiKey: "sk-corrupted-answer-0001" });
      const reader = new CredentialManager({
        backend: manager.backend,
        encryption: fixture.create({ retry: RETRY, cache: false }),
        cache: false,
      });
      fixture.flipNextUnwrap();
      if (options.corruptedAnswer === "retried") {
        const calls = fixture.unwrapCalls();
        expect((await reader.getCredentials("c", "acme")).apiKey?.reveal()).toBe("sk-corrupted-answer-0001");
        expect(fixture.unwrapCalls() - calls).toBe(2);
      } else {
        await expect(reader.getCredentials("c", "acme")).rejects.toMatchObject({ code: "integrity" });
      }
    });

    it("no credential value, data key or KMS credential reaches an error, the audit trail or the output", async () => {
      const fixture = await options.setup();
      const tap = tapOutput();
      const value = canary();
      const kms = fixture.create({ retry: RETRY, cache: false });
      const manager = new CredentialManager({
        backend: memoryBackend({ env: {} }),
        encryption: kms,
        cache: false,
      });
      const errors: unknown[] = [];
      try {
        const id = uniqueId();
        await manager.storeCredentials(id, "acme", { apiKey: value });
        fixture.flipNextUnwrap();
        const read = () =>
          new CredentialManager({
            backend: manager.backend,
            encryption: fixture.create({ cache: false, retry: RETRY }),
            cache: false,
          })
            .getCredentials(id, "acme")
            .catch((error: unknown) => error);
        errors.push(await read());
        if (fixture.disable && fixture.enable) {
          fixture.disable();
          errors.push(await read(), await kms.check().catch((error: unknown) => error));
          fixture.enable();
        }
        const failures = errors.filter((error) => error instanceof Error);
        expect(failures.length).toBeGreaterThanOrEqual(
          fixture.disable ? 2 : options.corruptedAnswer === "retried" ? 0 : 1,
        );
        for (const secret of [value, ...options.secrets]) {
          for (const item of [...errors, manager.audit.events(), kms]) assertNoLeak(item, secret);
          expect(tap.text()).not.toContain(secret);
        }
      } finally {
        tap.restore();
      }
    });
  });
}
