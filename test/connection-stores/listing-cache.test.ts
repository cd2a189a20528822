/**
 * The default connection store's listing cache: a warm listing reads nothing from the backend,
 * and no listing is ever stale after a write in this process (create, update, status change,
 * delete, through any service or store over the same manager), after a change another replica
 * announces over fleet invalidation, or after `clearCache()`; a listing read while a write
 * happened is not kept, and one asked for after the write reads afresh; concurrent misses share one
 * read; with the manager's cache off every listing reads the backend.
 */
import { describe, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { credentialConnectionStore } from "../../src/connectors/connection-stores/credential-store.js";
import { ConnectorService } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  fleetInvalidation,
  type InvalidationTransport,
  type TransportHandlers,
} from "../../src/ops/index.js";
import { keyring, uniqueId } from "../support/fixtures.js";

/** A backend that counts reads and can hold the answer of the next `get` (only that one) until released. */
function countingBackend(inner: Backend = memoryBackend({ env: {} })) {
  const counts = { get: 0, list: 0, held: 0 };
  let gate: Promise<void> | undefined;
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === "get")
        return async (...args: unknown[]) => {
          counts.get++;
          const wait = gate;
          gate = undefined;
          if (wait) counts.held++;
          const answer = await value.apply(target, args);
          await wait;
          return answer;
        };
      if (property === "list")
        return (...args: unknown[]) => {
          counts.list++;
          return value.apply(target, args);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    backend,
    counts,
    hold() {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
  };
}

const manager = (backend: Backend, cache: false | { ttlMs: number } = { ttlMs: 60_000 }) =>
  new CredentialManager({ backend, encryption: keyring(), cache });

function setup(cache?: false | { ttlMs: number }) {
  const counted = countingBackend();
  const credentials = manager(counted.backend, cache);
  const tenantId = uniqueId("tenant");
  const service = new ConnectorService({ credentials, tenantId });
  return { ...counted, credentials, tenantId, service };
}

const openai = (id: string) => ({
  id,
  connector: "openai",
  instanceName: `Integration ${id}`,
  configuration: { model: "gpt-4o-mini" },
  secretsReferences: { apiKey: { secret_name: "openai-shared" } },
});

const listed = async (service: ConnectorService) =>
  (await service.list()).items.map((item) => [item.id, item.instanceName, item.status]);

describe("listing cache of the default connection store", () => {
  it("serves a warm listing without reading the backend", async () => {
    const { service, counts } = setup();
    for (const id of ["a", "b", "c"]) await service.create(openai(id));
    await service.list();
    const before = { ...counts };
    expect((await service.list()).items).toHaveLength(3);
    expect(counts).toEqual(before);
  });

  it("is never stale after a write through another service or store over the same manager", async () => {
    const { service, credentials, tenantId } = setup();
    const other = new ConnectorService({ credentials, tenantId });
    const store = credentialConnectionStore(credentials);
    await service.create(openai("a"));
    expect(await listed(service)).toEqual([["a", "Integration a", "pending"]]);

    await other.create(openai("b"));
    expect((await listed(service)).map(([id]) => id)).toEqual(["a", "b"]);

    await other.update("a", { instanceName: "Renamed" });
    expect((await listed(service))[0]).toEqual(["a", "Renamed", "pending"]);

    await other.disable("b");
    expect((await listed(service))[1]).toEqual(["b", "Integration b", "disabled"]);

    await other.delete("a");
    expect((await listed(service)).map(([id]) => id)).toEqual(["b"]);

    expect(await store.delete(tenantId, "b")).toBe(true);
    expect(await listed(service)).toEqual([]);
  });

  it("keeps tenants apart: a write in one tenant leaves another's listing cached", async () => {
    const { service, credentials, counts } = setup();
    const neighbour = new ConnectorService({ credentials, tenantId: uniqueId("tenant") });
    await service.create(openai("a"));
    await service.list();
    await neighbour.create(openai("z"));
    const before = { ...counts };
    expect((await service.list()).items.map((item) => item.id)).toEqual(["a"]);
    expect(counts).toEqual(before);
    expect((await neighbour.list()).items.map((item) => item.id)).toEqual(["z"]);
  });

  it("does not keep a listing that was being read while a write happened, nor join it after the write", async () => {
    const { service, hold, counts } = setup();
    await service.create(openai("a"));
    const release = hold();
    const reading = service.list();
    await vi.waitFor(() => expect(counts.held).toBe(1));
    await service.update("a", { instanceName: "Renamed" });
    const after = service.list();
    release();
    expect((await reading).items[0]?.instanceName).toBe("Integration a");
    expect((await after).items[0]?.instanceName).toBe("Renamed");
    expect(await listed(service)).toEqual([["a", "Renamed", "pending"]]);
  });

  it("shares one read among concurrent misses of a page", async () => {
    const { service, credentials, counts } = setup();
    for (const id of ["a", "b", "c"]) await service.create(openai(id));
    credentials.clearCache();
    const before = counts.list;
    const pages = await Promise.all(Array.from({ length: 10 }, () => service.list()));
    expect(counts.list).toBe(before + 1);
    expect(new Set(pages).size).toBe(1);
  });

  it("drops a listing when another replica announces a change over fleet invalidation", async () => {
    const shared = memoryBackend({ env: {} });
    const subscribers = new Set<TransportHandlers>();
    const bus = (): InvalidationTransport => ({
      name: "loopback",
      subscribe: async (handlers) => {
        subscribers.add(handlers);
      },
      publish: async (text) => {
        for (const handlers of subscribers) handlers.onMessage(text);
      },
      close: async () => {},
    });
    const [here, there] = [manager(shared), manager(shared)];
    const fleets = [await fleetInvalidation(here, bus()), await fleetInvalidation(there, bus())];
    const tenantId = uniqueId("tenant");
    const reader = new ConnectorService({ credentials: here, tenantId });
    const writer = new ConnectorService({ credentials: there, tenantId });
    await writer.create(openai("a"));
    expect((await reader.list()).items).toHaveLength(1);
    await writer.create(openai("b"));
    await Promise.all(fleets.map((fleet) => fleet.close()));
    expect((await reader.list()).items.map((item) => item.id)).toEqual(["a", "b"]);
  });

  it("drops every listing on clearCache()", async () => {
    const { service, credentials, counts } = setup();
    await service.create(openai("a"));
    await service.list();
    const reads = counts.list;
    credentials.clearCache();
    await service.list();
    expect(counts.list).toBe(reads + 1);
  });

  it("hands out frozen records, so a caller cannot change what others are served", async () => {
    const { service } = setup();
    await service.create(openai("a"));
    const [record] = (await service.list()).items;
    expect(() => {
      (record as { instanceName: string }).instanceName = "changed";
    }).toThrow(TypeError);
    expect(await listed(service)).toEqual([["a", "Integration a", "pending"]]);
  });

  it("reads the backend on every listing when the manager's cache is off", async () => {
    const { service, counts } = setup(false);
    await service.create(openai("a"));
    await service.list();
    const reads = counts.list;
    await service.list();
    expect(counts.list).toBe(reads + 1);
  });
});
