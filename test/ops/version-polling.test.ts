/**
 * Version polling, the invalidation for stores with no notification channel: two managers share
 * one store; after a rotation or delete by one, a polling round drops the other's cached copy,
 * and nothing else.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { NotFoundError } from "../../src/core/errors.js";
import { versionPolling } from "../../src/ops/invalidation/index.js";
import { keyring, rejection, uniqueId } from "../support/fixtures.js";

const replica = (backend: Backend) =>
  new CredentialManager({ backend, encryption: keyring(), cache: { ttlMs: 600_000 } });

const lastCache = (manager: CredentialManager, name: string) =>
  manager.audit.events({ name, action: "read" }).at(-1)?.cache;

describe.each([
  [
    "over a store with batch reads",
    (backend: Backend): Backend => ({
      ...backend,
      get: backend.get.bind(backend),
      getMany: (keys) => Promise.all(keys.map((key) => backend.get(key))),
    }),
  ],
  [
    "over a store without batch reads",
    (backend: Backend): Backend => ({ ...backend, get: backend.get.bind(backend) }),
  ],
])("version polling %s", (_title, shape) => {
  it("drops exactly the cached credentials changed or deleted elsewhere", async () => {
    const store = memoryBackend();
    const writer = replica(store);
    const reader = replica(shape(store));
    const tenant = uniqueId("tenant");
    const [changed, unchanged] = [uniqueId("changed"), uniqueId("same")];
    await writer.storeCredentials(changed, tenant, { apiKey: "sk-old-aaaaaaaaaaaa" });
    await writer.storeCredentials(unchanged, tenant, { apiKey: "sk-same-aaaaaaaaaaa" });
    for (const name of [changed, unchanged]) await reader.getCredentials(name, tenant);

    await using polling = versionPolling(reader, { intervalMs: 60_000 });
    await writer.rotateCredentials(changed, tenant, { apiKey: "sk-new-bbbbbbbbbbbb" });
    expect((await reader.getCredentials(changed, tenant)).apiKey?.reveal()).toBe("sk-old-aaaaaaaaaaaa");

    await polling.check();
    expect((await reader.getCredentials(changed, tenant)).apiKey?.reveal()).toBe("sk-new-bbbbbbbbbbbb");
    expect(lastCache(reader, changed)).toBe("miss");
    await reader.getCredentials(unchanged, tenant);
    expect(lastCache(reader, unchanged)).toBe("hit");
    expect(polling.stats()).toMatchObject({ rounds: 1, dropped: 1, failures: 0 });

    await writer.purgeCredentials(unchanged, tenant);
    await polling.check();
    expect(await rejection(reader.getCredentials(unchanged, tenant))).toBeInstanceOf(NotFoundError);
    expect(polling.stats()).toMatchObject({ rounds: 2, dropped: 2 });
  });
});

it("polls on its own schedule until closed", async () => {
  const store = memoryBackend();
  const writer = replica(store);
  const reader = replica(store);
  const tenant = uniqueId("tenant");
  await writer.storeCredentials("conn", tenant, { apiKey: "sk-old-aaaaaaaaaaaa" });
  await reader.getCredentials("conn", tenant);
  const polling = versionPolling(reader, { intervalMs: 10 });
  await writer.rotateCredentials("conn", tenant, { apiKey: "sk-new-bbbbbbbbbbbb" });
  for (let attempt = 0; attempt < 2000 && polling.stats().dropped === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect((await reader.getCredentials("conn", tenant)).apiKey?.reveal()).toBe("sk-new-bbbbbbbbbbbb");
  await polling.close();
  const rounds = polling.stats().rounds;
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(polling.stats().rounds).toBe(rounds);
});
