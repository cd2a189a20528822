/**
 * Issue 14 items 2 and 5: which secrets a connection may resolve, and race-free connection
 * writes with owned secrets under reserved names, purged with their connection.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { type ConnectionRecord, memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { ReferenceDeniedError, type ReferenceRequest } from "../../src/connectors/service.js";
import { ConflictError } from "../../src/core/errors.js";
import { ownedCredentials } from "../../src/core/system-records.js";
import { guardOutput } from "../support/output.js";
import { expectNowhere, serviceOn } from "./service-support.js";
import { providerKey, rejection } from "./support.js";

const keys = Array.from({ length: 8 }, () => providerKey("sk-"));
const shared = providerKey("sk-");
guardOutput(() => [...keys, shared]);

/** Every record name in the raw backend for a tenant, deleted ones included. */
async function rawNames(backend: ReturnType<typeof memoryBackend>, tenantId: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list({ includeDeleted: true, ...(cursor ? { cursor } : {}) });
    names.push(
      ...page.entries
        .filter((entry) => entry.metadata.tenant === tenantId)
        .map((entry) => entry.metadata.name),
    );
    cursor = page.cursor;
  } while (cursor);
  return names;
}

describe("issue 14 item 5: race-free connection writes", () => {
  it("issue 14 item 5: concurrent create with one id: exactly one wins and its connection resolves its own key", async () => {
    const backend = memoryBackend({ env: {} });
    const { service, manager, tenantId } = serviceOn({ backend });
    const outcomes = await Promise.allSettled(
      keys.map((key, index) =>
        service.create({
          id: "billing",
          connector: "openai",
          instanceName: `writer ${index}`,
          configuration: { api_key: key },
        }),
      ),
    );
    const winners = outcomes.flatMap((outcome, index) => (outcome.status === "fulfilled" ? [index] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(ConflictError.isInstance(outcome.reason)).toBe(true);
    }
    const winner = winners[0] as number;
    const record = await service.get("billing");
    expect(record.instanceName).toBe(`writer ${winner}`);
    const resolved = await service.getConnectorCredentials("billing");
    expect((resolved.api_key as { reveal(): string }).reveal()).toBe(keys[winner]);
    const owned = (await rawNames(backend, tenantId)).filter((name) =>
      name.startsWith("~connection-secrets:"),
    );
    expect(owned).toEqual(record.ownedSecrets);
    expectNowhere(keys[winner] as string, outcomes, record, manager.audit.events());
  });

  it("issue 14 item 5: owned secrets live under reserved names: a tenant credential named connector-billing is never touched, and no tenant write can take the owned name", async () => {
    const { service, manager, tenantId } = serviceOn();
    await manager.storeCredentials("connector-billing", tenantId, { token: "tenant-own-token-value" });
    const record = await service.create({
      id: "billing",
      connector: "openai",
      instanceName: "Billing",
      configuration: { api_key: keys[0] },
    });
    const ownedName = record.ownedSecrets[0] as string;
    expect(ownedName.startsWith("~")).toBe(true);
    const takeover = await rejection(manager.storeCredentials(ownedName, tenantId, { api_key: "attacker" }));
    expect(takeover.name).toBe("ValidationError");
    expect(
      manager.listCredentials(tenantId).then((page) => page.items.map((item) => item.connectionId)),
    ).resolves.toEqual(["connector-billing"]);
    await service.delete("billing");
    expect((await manager.getCredentials("connector-billing", tenantId)).token?.reveal()).toBe(
      "tenant-own-token-value",
    );
    expect((await manager.describeCredentials("connector-billing", tenantId)).status).toBe("active");
  });

  it("issue 14 item 5: delete purges owned secrets (every version); a reused id cannot read the old key through a pinned version", async () => {
    const backend = memoryBackend({ env: {} });
    const { service, manager, tenantId } = serviceOn({
      backend,
      referencePolicy: (request) => request.allowedByDefault || request.ownedBy === "reuse",
    });
    const first = await service.create({
      id: "reuse",
      connector: "openai",
      instanceName: "Old",
      configuration: { api_key: keys[0] },
    });
    await service.update("reuse", { configuration: { api_key: keys[1] } });
    const oldName = first.ownedSecrets[0] as string;
    await service.delete("reuse");
    expect(await rawNames(backend, tenantId)).toEqual([]);
    const owned = ownedCredentials(manager);
    for (const version of [1, 2]) {
      const error = await rejection(owned.getCredentials(oldName, tenantId, { version }));
      expect(error.name).toMatch(/NotFoundError|DeletedError/);
    }
    const second = await service.create({
      id: "reuse",
      connector: "openai",
      instanceName: "New",
      secretsReferences: { api_key: { secret_name: oldName, version: 1 } },
    });
    expect(second.ownedSecrets).toEqual([]);
    const unreadable = await rejection(service.getConnectorCredentials("reuse"));
    expect(unreadable.name).toBe("UnresolvedReferenceError");
    expectNowhere(keys[0] as string, unreadable, second);
  });
});

describe("issue 14 item 2: references a connection may not cross", () => {
  it("issue 14 item 2: a connection cannot borrow another connection's own secret, at create, update, or from a planted record", async () => {
    const store = memoryConnectionStore();
    const { service, manager, tenantId } = serviceOn({ store });
    const openai = await service.create({
      id: "ai",
      connector: "openai",
      instanceName: "AI",
      configuration: { api_key: keys[0] },
    });
    const stolen = { secret_name: openai.ownedSecrets[0] as string, field: "api_key" };
    const denied = await rejection(
      service.create({
        id: "thief",
        connector: "http",
        instanceName: "Exfil",
        configuration: { baseURL: "https://attacker.example" },
        secretsReferences: { token: stolen },
      }),
    );
    expect(denied).toBeInstanceOf(ReferenceDeniedError);
    expect(denied.message).toContain('Secret reference "token"');
    expect(denied.message).toContain("belongs to another connection");
    expect((await service.list()).items.map((item) => item.id)).toEqual(["ai"]);

    await manager.storeCredentials("http_token", tenantId, { token: shared });
    await service.create({
      id: "thief",
      connector: "http",
      instanceName: "Exfil",
      configuration: { baseURL: "https://attacker.example" },
      secretsReferences: { token: { secret_name: "http_token" } },
    });
    expect(await rejection(service.update("thief", { secretsReferences: { token: stolen } }))).toBeInstanceOf(
      ReferenceDeniedError,
    );

    const planted = {
      ...(await store.get(tenantId, "thief")),
      secretsReferences: { token: stolen },
    } as ConnectionRecord;
    await store.put({ ...planted, revision: planted.revision + 1 }, planted.revision);
    const reads = manager.audit.events({ action: "read" }).length;
    expect(await rejection(service.getConnectorCredentials("thief"))).toBeInstanceOf(ReferenceDeniedError);
    expect(await rejection(service.withConnector("thief", () => "ran"))).toBeInstanceOf(ReferenceDeniedError);
    expect(manager.audit.events({ action: "read" }).length).toBe(reads);
    const verdict = await service.testConnectorConnection("thief");
    expect(verdict.success).toBe(false);
    expectNowhere(keys[0] as string, denied, verdict, await service.get("thief"), manager.audit.events());
  });

  it("issue 14 item 2: the tenant's shared credentials resolve by default; the policy hook decides more finely", async () => {
    const asked: ReferenceRequest[] = [];
    const { service, manager, tenantId } = serviceOn({
      referencePolicy: (request) => {
        asked.push(request);
        if (request.connector === "http" && request.secretName === "openai_shared") return false;
        return request.allowedByDefault;
      },
    });
    await manager.storeCredentials("openai_shared", tenantId, { api_key: shared });
    const ai = await service.create({
      id: "ai",
      connector: "openai",
      instanceName: "AI",
      secretsReferences: { api_key: { secret_name: "openai_shared" } },
    });
    const other = await service.create({
      id: "ai2",
      connector: "openai",
      instanceName: "AI 2",
      secretsReferences: { api_key: { secret_name: "openai_shared" } },
    });
    expect(((await service.getConnectorCredentials(other.id)).api_key as { reveal(): string }).reveal()).toBe(
      shared,
    );
    expect(
      await rejection(
        service.create({
          connector: "http",
          instanceName: "No",
          secretsReferences: { token: { secret_name: "openai_shared" } },
        }),
      ),
    ).toBeInstanceOf(ReferenceDeniedError);
    const owner = await service.create({
      id: "owner",
      connector: "openai",
      instanceName: "Owner",
      configuration: { api_key: keys[2] },
    });
    const ownedName = owner.ownedSecrets[0] as string;
    const refused = await rejection(
      service.create({
        connector: "openai",
        instanceName: "Borrow",
        secretsReferences: { api_key: { secret_name: ownedName } },
      }),
    );
    expect(refused).toBeInstanceOf(ReferenceDeniedError);
    expect(
      asked.find((request) => request.secretName === ownedName && request.connectionId !== "owner"),
    ).toMatchObject({ ownedBy: "owner", allowedByDefault: false, ownSecret: false });
    expect(asked.find((request) => request.connectionId === ai.id)).toMatchObject({
      tenantId,
      connector: "openai",
      reference: "api_key",
      allowedByDefault: true,
    });
  });
});
