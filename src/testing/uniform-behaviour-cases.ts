/**
 * Contract cases for the behaviour every store must share (issue 13 items 6, 7, 9 and 11): one
 * paging model, one validation of `limit`, `cursor`, `version` and ids, and a batch read that never
 * puts a purged value back in the cache. Registered by `runBackendContract`.
 */
import { randomBytes } from "node:crypto";
import type { Backend } from "../core/backend.js";
import type { CredentialManager, CredentialManagerOptions } from "../core/credential-manager.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import { LocalKeyring } from "../core/keyring.js";
import { keyring, uniqueId } from "./fixtures.js";
import type { TestFunctions } from "./test-functions.js";

/** What the cases need from the suite around them. */
export interface UniformBehaviourContext {
  readonly it: TestFunctions["it"];
  readonly expect: TestFunctions["expect"];
  /** The backend under test (after the suite's `beforeAll`). */
  backend(): Backend;
  /** A manager over `backend`, with options overridden. */
  managerWith(overrides?: Partial<CredentialManagerOptions>): CredentialManager;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/**
 * The backend with its reads held at a gate, after reading, once `hold()` is called: lets a purge
 * land between a batch read's backend call and its answer.
 */
function gatedReads(backend: Backend): { backend: Backend; hold(): Promise<void>; release(): void } {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let reached = () => {};
  let arrived = Promise.resolve();
  const wait = async () => {
    if (!gate) return;
    reached();
    await gate;
  };
  const gated: Backend = Object.create(backend) as Backend;
  Object.assign(gated, {
    get: async (...args: Parameters<Backend["get"]>) => {
      const record = await backend.get(...args);
      await wait();
      return record;
    },
    ...(backend.getMany
      ? {
          getMany: async (...args: Parameters<NonNullable<Backend["getMany"]>>) => {
            const records = await backend.getMany?.(...args);
            await wait();
            return records;
          },
        }
      : {}),
  });
  return {
    backend: gated,
    hold() {
      arrived = new Promise((resolve) => {
        reached = resolve;
      });
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return arrived;
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

export function registerUniformBehaviourCases(context: UniformBehaviourContext): void {
  const { it, expect } = context;

  it("one paging model: 101 credentials come as a page of 100 and a cursor, then the rest", async () => {
    // why: paging is the store's; a local key keeps 101 writes off a KMS under test
    const manager = context.managerWith({ encryption: keyring() });
    const tenantId = uniqueId("tenant");
    for (let index = 0; index < 101; index++) {
      await manager.storeCredentials(`c${String(index).padStart(3, "0")}`, tenantId, {
        apiKey: "paging-value",
      });
    }
    const first = await manager.listCredentials(tenantId);
    expect(first.items).toHaveLength(100);
    expect(first.cursor).toBeDefined();
    const rest = await manager.listCredentials(tenantId, { cursor: first.cursor as string });
    expect(rest.items.map((item) => item.connectionId)).toEqual(["c100"]);
    expect(rest.cursor).toBeUndefined();
  });

  it("limit is a whole number from 1 to 1000, and a garbage or another tenant's cursor is ValidationError", async () => {
    const manager = context.managerWith();
    const [tenantId, other] = [uniqueId("tenant"), uniqueId("tenant")];
    for (const connectionId of ["x", "y"]) {
      await manager.storeCredentials(connectionId, tenantId, { apiKey: "limit-value" });
      await manager.storeCredentials(connectionId, other, { apiKey: "limit-value" });
    }
    for (const limit of [0, -5, 1.5, 1001, Number.NaN]) {
      expect(ValidationError.isInstance(await failure(manager.listCredentials(tenantId, { limit })))).toBe(
        true,
      );
    }
    const page = await manager.listCredentials(tenantId, { limit: 1 });
    expect(page.items).toHaveLength(1);
    for (const cursor of ["garbage", `${page.cursor}x`]) {
      expect(ValidationError.isInstance(await failure(manager.listCredentials(tenantId, { cursor })))).toBe(
        true,
      );
    }
    const foreign = await failure(manager.listCredentials(other, { cursor: page.cursor as string }));
    expect(ValidationError.isInstance(foreign), "another tenant's cursor").toBe(true);
  });

  it("a version is a positive whole number, and ids are bounded and non-blank: else ValidationError", async () => {
    const manager = context.managerWith();
    const tenantId = uniqueId("tenant");
    await manager.storeCredentials("pinned", tenantId, { apiKey: "version-value" });
    for (const version of [0, -1, 1.5, "1", "/../../x"]) {
      const error = await failure(manager.getCredentials("pinned", tenantId, { version: version as number }));
      expect(ValidationError.isInstance(error), `version ${String(version)}`).toBe(true);
    }
    for (const [connectionId, userId] of [
      ["pinned", ""],
      ["pinned", "   "],
      ["", tenantId],
      ["x".repeat(100_000), tenantId],
    ] as const) {
      expect(ValidationError.isInstance(await failure(manager.getCredentials(connectionId, userId)))).toBe(
        true,
      );
    }
  });

  it("rewrap moves what the store can rewrite and names every version left under the old key, which verifyKeys still needs", async () => {
    const backend = context.backend();
    const tenantId = uniqueId("rewrap");
    const oldBytes = randomBytes(32);
    const newBytes = randomBytes(32);
    const oldKey = new LocalKeyring(oldBytes);
    const old = context.managerWith({ encryption: oldKey, cache: false });
    await old.storeCredentials("live", tenantId, { apiKey: "live-version-one" });
    await old.rotateCredentials("live", tenantId, { apiKey: "live-version-two" });
    await old.storeCredentials("gone", tenantId, { apiKey: "deleted-but-restorable" });
    await old.deleteCredentials("gone", tenantId);
    const latest = (await old.describeCredentials("live", tenantId)).version;

    const rotating = context.managerWith({
      encryption: new LocalKeyring(newBytes, [oldBytes]),
      cache: false,
    });
    const result = await rotating.rewrap({ userId: tenantId });
    const left = result.notMoved
      .map(({ connectionId, version, deleted, keyId, copiedTo }) => ({
        connectionId,
        version,
        deleted,
        keyId,
        copiedTo,
      }))
      .sort((x, y) => `${x.connectionId}${x.version}`.localeCompare(`${y.connectionId}${y.version}`));
    const { capabilities } = backend;
    if (capabilities.inPlaceRewrite) {
      expect(left).toEqual([]);
    } else {
      const expected = [
        ...(capabilities.softDelete
          ? [
              {
                connectionId: "gone",
                version: 1,
                deleted: true,
                keyId: oldKey.currentKeyId,
                copiedTo: undefined,
              },
            ]
          : []),
        ...(capabilities.versions
          ? [
              ...(latest > 1
                ? [
                    {
                      connectionId: "live",
                      version: 1,
                      deleted: false,
                      keyId: oldKey.currentKeyId,
                      copiedTo: undefined,
                    },
                  ]
                : []),
              {
                connectionId: "live",
                version: latest,
                deleted: false,
                keyId: oldKey.currentKeyId,
                copiedTo: latest + 1,
              },
            ]
          : []),
      ];
      expect(left).toEqual(expected);
    }
    // Whatever rewrap could not move still needs the old key: verifyKeys names it.
    const onlyNew = context.managerWith({ encryption: new LocalKeyring(newBytes), cache: false });
    const check = await onlyNew.verifyKeys({ userId: tenantId });
    expect(check.missingKeyIds).toEqual(left.length > 0 ? [oldKey.currentKeyId] : []);
    expect((await onlyNew.getCredentials("live", tenantId)).apiKey?.reveal()).toBe("live-version-two");
  });

  it("a batch read in flight during a purge does not put the purged value back in the cache", async () => {
    const gate = gatedReads(context.backend());
    const manager = context.managerWith({ backend: gate.backend, cache: { ttlMs: 60_000 } });
    const tenantId = uniqueId("tenant");
    await manager.storeCredentials("purged", tenantId, { apiKey: "purged-while-reading" });
    const held = gate.hold();
    const batch = manager.getManyCredentials([{ connectionId: "purged", userId: tenantId }]);
    await held;
    await manager.purgeCredentials("purged", tenantId);
    gate.release();
    await batch;
    expect(NotFoundError.isInstance(await failure(manager.getCredentials("purged", tenantId)))).toBe(true);
  });
}
