/** Issue 14 item 8: masked views come from metadata kept at write time, with no secret read. */
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.js";
import { guardOutput } from "../support/output.js";
import { expectNowhere, serviceOn } from "./service-support.js";
import { providerKey } from "./support.js";

const keys = Array.from({ length: 6 }, () => providerKey("sk-"));
const shared = providerKey("sk-");
guardOutput(() => [...keys, shared]);

describe("issue 14 item 8: masked views without reading secrets", () => {
  it("issue 14 item 8: listMasked and getMaskedCredentials perform zero secret reads (audit trail), each credential described once", async () => {
    const { service, manager, tenantId } = serviceOn();
    await manager.storeCredentials("openai_shared", tenantId, { api_key: shared });
    for (const [index, key] of keys.entries()) {
      await service.create({
        id: `own-${index}`,
        connector: "openai",
        instanceName: `Own ${index}`,
        configuration: { api_key: key, model: "gpt-4o" },
      });
    }
    for (const index of [0, 1, 2]) {
      await service.create({
        id: `ref-${index}`,
        connector: "openai",
        instanceName: `Ref ${index}`,
        secretsReferences: { api_key: { secret_name: "openai_shared" } },
      });
    }
    const before = manager.audit.events().length;
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await service.listMasked({ limit: 4, ...(cursor !== undefined ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    const single = await service.getMaskedCredentials("own-3");
    const events = manager.audit.events().slice(before);
    expect(events.filter((event) => event.action === "read")).toEqual([]);
    expect(
      events.filter((event) => event.action === "describe" && event.name === "openai_shared").length,
    ).toBeLessThanOrEqual(3);
    expect(items).toHaveLength(keys.length + 3);
    for (const item of items) {
      const key = item.id.startsWith("own-") ? (keys[Number(item.id.slice(4))] as string) : shared;
      expect(item.maskedCredentials.api_key).toBe(new Secret(key).masked);
      expect(item.maskedCredentials.api_key).toMatch(/^\*\*\*.{1,6}$/);
    }
    expect(single).toEqual({ model: "gpt-4o", api_key: new Secret(keys[3] as string).masked });
    for (const key of [...keys, shared]) expectNowhere(key, items, single, events);
  });

  it("issue 14 item 8: a reference pinned to an older version shows *** rather than the current value's mask", async () => {
    const { service, manager, tenantId } = serviceOn();
    await manager.storeCredentials("rotating", tenantId, { api_key: keys[0] as string });
    await manager.storeCredentials("rotating", tenantId, { api_key: keys[1] as string });
    await service.create({
      id: "pinned",
      connector: "openai",
      instanceName: "Pinned",
      secretsReferences: { api_key: { secret_name: "rotating", version: 1 } },
    });
    expect(await service.getMaskedCredentials("pinned")).toEqual({ api_key: "***" });
  });
});
