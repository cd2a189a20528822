import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { NotFoundError } from "../../src/core/errors.js";
import { keyring } from "../support/fixtures.js";

/** Memory with a `getMany` that reads at once but answers only when `release()` is called. */
function gatedBatch(): { backend: Backend; release: () => void; started: Promise<void> } {
  const inner = memoryBackend({ env: {} });
  let release = () => {};
  let markStarted = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const backend: Backend = {
    ...inner,
    name: inner.name,
    capabilities: inner.capabilities,
    async getMany(keys) {
      const records = await Promise.all(keys.map((key) => inner.get(key)));
      markStarted();
      await gate;
      return records;
    },
  };
  return { backend, release: () => release(), started };
}

describe("batch reads and the cache", () => {
  it("issue 13 item 11: a getManyCredentials in flight during a purge does not put the purged value back", async () => {
    const { backend, release, started } = gatedBatch();
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: { ttlMs: 60_000 } });
    await manager.storeCredentials("c", "t", { apiKey: "purged-value" });
    const batch = manager.getManyCredentials([{ connectionId: "c", userId: "t" }]);
    await started;
    await manager.purgeCredentials("c", "t");
    release();
    const [result] = await batch;
    expect(result?.ok).toBe(true);
    const after = await manager.getCredentials("c", "t").catch((error: unknown) => error);
    expect(NotFoundError.isInstance(after)).toBe(true);
  });

  it("issue 13 item 11: a write during the batch is not overwritten in the cache by the older value", async () => {
    const { backend, release, started } = gatedBatch();
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: { ttlMs: 60_000 } });
    await manager.storeCredentials("c", "t", { apiKey: "old-value" });
    const batch = manager.getManyCredentials([{ connectionId: "c", userId: "t" }]);
    await started;
    await manager.storeCredentials("c", "t", { apiKey: "new-value" });
    release();
    await batch;
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("new-value");
  });

  it("a batch with no write in between still fills the cache", async () => {
    const { backend, release, started } = gatedBatch();
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: { ttlMs: 60_000 } });
    await manager.storeCredentials("c", "t", { apiKey: "value" });
    const batch = manager.getManyCredentials([{ connectionId: "c", userId: "t" }]);
    await started;
    release();
    await batch;
    await manager.getCredentials("c", "t");
    const reads = manager.audit.events({ action: "read" }).map((event) => event.cache);
    expect(reads).toEqual(["miss", "hit"]);
  });
});
