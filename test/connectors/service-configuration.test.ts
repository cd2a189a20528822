/** Issue 14 item 4: no secret hides in a connection's configuration; configuration is bounded. */
import { describe, expect, it } from "vitest";
import { CONFIGURATION_LIMITS } from "../../src/connectors/service/configuration.js";
import { Secret } from "../../src/core/secret.js";
import { ownedCredentials } from "../../src/core/system-records.js";
import { guardOutput } from "../support/output.js";
import { expectNowhere, serviceOn } from "./service-support.js";
import { providerKey, rejection } from "./support.js";

const key = providerKey("sk-");
const other = providerKey("AIza");
const plain = `plain-canary-${Date.now().toString(36)}-value`;
guardOutput(() => [key, other, plain]);

/** Everything a caller can see of a tenant's connections. */
async function everyView(service: ReturnType<typeof serviceOn>["service"], id: string) {
  return [await service.get(id), await service.list(), await service.getMaskedCredentials(id)];
}

describe("issue 14 item 4: configuration values that look secret are moved to the credential store", () => {
  const moved: Array<[string, string]> = [
    ["auth", plain],
    ["authorization", `Bearer ${plain}`],
    ["bearer", plain],
    ["pass", plain],
    ["pwd", plain],
    ["dsn", `postgres://db.internal:5432/app?sslmode=require&x=${plain}`],
    ["cookie", `session=${plain}`],
    ["clientSecret", plain],
    ["connection_string", plain],
    ["note", key],
    ["region_hint", other],
  ];
  for (const [name, value] of moved) {
    it(`issue 14 item 4: "${name}" is moved to the store, never kept, masked in every view`, async () => {
      const { service, manager, tenantId } = serviceOn();
      const record = await service.create({
        connector: "openai",
        instanceName: "Assistant",
        configuration: { api_key: key, model: "gpt-4o", [name]: value },
      });
      expect(record.configuration).toEqual({ model: "gpt-4o" });
      expect(record.secretsReferences[name]).toMatchObject({ field: name });
      const stored = await ownedCredentials(manager).getCredentials(
        record.secretsReferences[name]!.secret_name,
        tenantId,
      );
      expect(stored[name]?.reveal()).toBe(value);
      const masked = await service.getMaskedCredentials(record.id);
      expect(masked[name]).toBe(new Secret(value).masked);
      expectNowhere(plain, record, ...(await everyView(service, record.id)), manager.audit.events());
      expectNowhere(key, record, ...(await everyView(service, record.id)));
      expectNowhere(other, record, ...(await everyView(service, record.id)));
    });
  }
});

describe("issue 14 item 4: configuration that hides a secret where it cannot be moved is refused, naming the field", () => {
  const refused: Array<[string, string, Record<string, unknown>, string?]> = [
    ["secrets: { openai }", "secrets.openai", { secrets: { openai: key } }],
    ["credentials: { primary }", "credentials.primary", { credentials: { primary: plain } }],
    ["api_keys: [...]", "api_keys[0]", { api_keys: [plain, key] }],
    ["headers.Authorization", "headers.Authorization", { headers: { Authorization: `Bearer ${plain}` } }],
    ["nested auth object", "proxy.auth.user", { proxy: { auth: { user: plain } } }],
    [
      "webhookUrl with ?api_key=",
      "webhookUrl",
      { webhookUrl: `https://hooks.example.com/in?api_key=${plain}` },
    ],
    ["nested URL with userinfo", "upstream.url", { upstream: { url: `https://bob:${plain}@example.com/` } }],
    ["a key in a plain setting", "model", { model: key }],
    ["a key nested in an innocent name", "extra.tags[1]", { extra: { tags: ["a", other] } }],
    [
      "baseURL with userinfo (http)",
      "baseURL",
      { baseURL: `https://bob:${plain}@api.example.com/v1` },
      "http",
    ],
  ];
  for (const [title, path, configuration, connector] of refused) {
    it(`issue 14 item 4: ${title} → ValidationError naming "${path}", nothing stored`, async () => {
      const { service, manager, tenantId } = serviceOn();
      const input = {
        connector: connector ?? "openai",
        instanceName: "Leaky",
        configuration: connector ? { token: key, ...configuration } : { api_key: key, ...configuration },
      };
      const error = await rejection(service.create(input));
      expect(error.name).toBe("ValidationError");
      expect(error.message).toContain(`"${path}"`);
      expectNowhere(plain, error);
      expectNowhere(key, error);
      expectNowhere(other, error);
      expect((await service.list()).items).toEqual([]);
      expect((await manager.listCredentials(tenantId)).items).toEqual([]);

      const ok = await service.create({
        connector: connector ?? "openai",
        instanceName: "Fine",
        configuration: { api_key: key },
      });
      const updated = await rejection(service.update(ok.id, { configuration }));
      expect(updated.name).toBe("ValidationError");
      expect(updated.message).toContain(`"${path}"`);
      expectNowhere(plain, updated, await service.get(ok.id));
    });
  }

  it("issue 14 item 4: a 10 MB instanceName, an oversized or too deep configuration are refused with the documented limits", async () => {
    const { service } = serviceOn();
    const huge = await rejection(
      service.create({
        connector: "openai",
        instanceName: "x".repeat(10 * 1024 * 1024),
        configuration: { api_key: key },
      }),
    );
    expect(huge.name).toBe("ValidationError");
    expect(huge.message).toContain(`${CONFIGURATION_LIMITS.instanceNameLength} characters`);
    expect(huge.message.length).toBeLessThan(300);

    const big = await rejection(
      service.create({
        connector: "openai",
        instanceName: "Big",
        configuration: { api_key: key, notes: "n".repeat(CONFIGURATION_LIMITS.configurationSize) },
      }),
    );
    expect(big.name).toBe("ValidationError");
    expect(big.message).toContain(`${CONFIGURATION_LIMITS.configurationSize}`);

    let deep: Record<string, unknown> = { leaf: 1 };
    for (let level = 0; level < CONFIGURATION_LIMITS.configurationDepth + 2; level++) deep = { next: deep };
    const nested = await rejection(
      service.create({ connector: "openai", instanceName: "Deep", configuration: { api_key: key, deep } }),
    );
    expect(nested.name).toBe("ValidationError");
    expect(nested.message).toContain("deeper than");

    const ok = await service.create({
      connector: "openai",
      instanceName: "Ok",
      configuration: { api_key: key },
    });
    const renamed = await rejection(service.update(ok.id, { instanceName: "y".repeat(1000) }));
    expect(renamed.name).toBe("ValidationError");
    expect((await service.list()).items.map((item) => item.instanceName)).toEqual(["Ok"]);
  });

  it("issue 14 item 4: plain settings stay: max_tokens, keyword, author, a URL without credentials, nested numbers", async () => {
    const { service } = serviceOn();
    const configuration = {
      max_tokens: 1000,
      keyword: "news",
      author: "Ada",
      endpointUrl: "https://api.example.com/v1?region=eu&page=2",
      limits: { tokens: 5, temperature: 0.2, stop: ["\n"] },
    };
    const record = await service.create({
      connector: "openai",
      instanceName: "Plain",
      configuration: { api_key: key, ...configuration },
    });
    expect(record.configuration).toEqual(configuration);
  });
});
