/**
 * The contract cases of a read-only backend (`capabilities.readOnly`): records are put in place
 * outside credkit (the `seed` option does it the way the store's users do, e.g. by setting an
 * environment variable), and the backend must serve them exactly, keep tenants apart, list and
 * batch-read them, and refuse every write with `UnsupportedError`.
 */
import type { Backend } from "../core/backend.js";
import { CredentialManager } from "../core/credential-manager.js";
import type { CredentialType } from "../core/credential-types.js";
import { ExpiredError, NotFoundError, UnsupportedError } from "../core/errors.js";
import { encodeKey } from "../core/key-encoding.js";
import type { KeyProvider } from "../core/keyring.js";
import { Secret } from "../core/secret.js";
import { assertNoLeak, canary, keyring, uniqueId } from "./fixtures.js";
import type { TestFunctions } from "./test-functions.js";

/** A credential the suite asks a read-only backend's owner to put in place. */
export interface SeedInput {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly fields: Record<string, string>;
  /** The key the suite's manager reads with: seal the record with it. */
  readonly encryption: KeyProvider;
  readonly type?: CredentialType | undefined;
  readonly expiresAt?: Date | undefined;
}

/** What the read-only cases need: the backend and a way to put records in place. */
export interface ReadOnlyContractOptions {
  readonly name: string;
  readonly create: () => Promise<Backend>;
  readonly seed: (input: SeedInput) => Promise<void>;
}

/** Registers the read-only cases; each is skipped for a backend that is not read-only. */
export function runReadOnlyContract(options: ReadOnlyContractOptions, test: TestFunctions): void {
  const { beforeAll, describe, expect, it } = test;
  describe(`backend contract (read-only): ${options.name}`, () => {
    let backend: Backend;
    let manager: CredentialManager;
    const encryption = keyring();
    const seed = (tenantId: string, connectionId: string, fields: Record<string, string>, extra = {}) =>
      options.seed({ tenantId, connectionId, fields, encryption, ...extra });

    beforeAll(async () => {
      backend = await options.create();
      manager = new CredentialManager({ backend, encryption, cache: false });
    });

    const readOnlyIt = (title: string, fn: () => Promise<void>) =>
      it(title, async ({ skip }) => {
        if (!backend.capabilities.readOnly) skip("backend is not read-only");
        await fn();
      });

    readOnlyIt("serves a record put in place as Secrets, and holds no plaintext", async () => {
      const tenantId = uniqueId("tenant");
      const key = canary();
      await seed(tenantId, "openai", { apiKey: key }, { type: "api_key" });
      const credentials = await manager.getCredentials("openai", tenantId);
      expect(credentials.apiKey).toBeInstanceOf(Secret);
      expect(credentials.apiKey?.reveal()).toBe(key);
      const info = await manager.describeCredentials("openai", tenantId);
      expect(info.type).toBe("api_key");
      assertNoLeak(info, key);
      const raw = await backend.get(encodeKey(tenantId, "openai", backend.capabilities.maxKeyLength));
      expect(raw).toBeDefined();
      assertNoLeak(raw, key);
    });

    readOnlyIt("reports a missing credential as NotFoundError", async () => {
      const error = await manager.getCredentials("nothing", uniqueId("tenant")).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(error)).toBe(true);
    });

    readOnlyIt("refuses every write with UnsupportedError, echoing no value", async () => {
      const tenantId = uniqueId("tenant");
      const key = canary();
      await seed(tenantId, "kept", { apiKey: "kept-value-1234" });
      const attempts = [
        manager.storeCredentials("new", tenantId, { apiKey: key }),
        manager.rotateCredentials("kept", tenantId, { apiKey: key }),
        manager.deleteCredentials("kept", tenantId),
        manager.purgeCredentials("kept", tenantId),
      ];
      for (const attempt of attempts) {
        const error = await attempt.catch((e: unknown) => e);
        expect(UnsupportedError.isInstance(error)).toBe(true);
        assertNoLeak(error, key);
      }
      expect((await manager.getCredentials("kept", tenantId)).apiKey?.reveal()).toBe("kept-value-1234");
    });

    readOnlyIt("keeps tenants apart whatever the ids contain", async () => {
      const run = uniqueId("x");
      const pairs: Array<[string, string]> = [
        [`${run}a:b`, "c"],
        [`${run}a`, "b:c"],
        [`${run}../x`, "y"],
        [`${run}ünï`, "Nàme 名"],
        [`${run}A`, "c"],
      ];
      for (const [tenantId, connectionId] of pairs)
        await seed(tenantId, connectionId, { value: `${tenantId}|${connectionId}` });
      for (const [tenantId, connectionId] of pairs) {
        expect((await manager.getCredentials(connectionId, tenantId)).value?.reveal()).toBe(
          `${tenantId}|${connectionId}`,
        );
      }
    });

    readOnlyIt("lists a tenant's credentials with metadata only, paging through all of them", async () => {
      const tenantId = uniqueId("tenant");
      const secret = canary();
      const connectionIds = ["one", "two", "three", "four", "five"];
      for (const connectionId of connectionIds) await seed(tenantId, connectionId, { apiKey: secret });
      await seed(uniqueId("tenant"), "elsewhere", { apiKey: secret });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await manager.listCredentials(tenantId, { limit: 2, ...(cursor ? { cursor } : {}) });
        assertNoLeak(page, secret);
        seen.push(...page.items.map((item) => item.connectionId));
        cursor = page.cursor;
        if (!cursor) break;
      }
      expect(seen.sort()).toEqual([...connectionIds].sort());
    });

    readOnlyIt("reads several credentials at once, each with its own outcome", async () => {
      const tenantId = uniqueId("tenant");
      await seed(tenantId, "a", { apiKey: "batch-value-a" });
      const results = await manager.getManyCredentials([
        { connectionId: "a", userId: tenantId },
        { connectionId: "missing", userId: tenantId },
      ]);
      expect(results[0]?.ok && results[0].credentials.apiKey?.reveal()).toBe("batch-value-a");
      expect(!results[1]?.ok && NotFoundError.isInstance(results[1]?.error)).toBe(true);
    });

    readOnlyIt("reports expired credentials as expired", async () => {
      const tenantId = uniqueId("tenant");
      const expiresAt = new Date(Date.now() - 60_000);
      await seed(tenantId, "old", { accessToken: "expired-access-token" }, { type: "oauth", expiresAt });
      const error = await manager.getCredentials("old", tenantId).catch((e: unknown) => e);
      expect(ExpiredError.isInstance(error)).toBe(true);
    });
  });
}
