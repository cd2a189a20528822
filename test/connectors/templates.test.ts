/**
 * Connector templates: listed by the registry (only for registered connectors), used by the
 * connector service to create a connection, and served by the HTTP API (`GET /templates`,
 * `POST /templates/{id}/integrations`), with the caller's configuration and key over the
 * template's and the key moved to the credential store.
 */
import { describe, expect, it } from "vitest";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { ConnectorRegistry, defaultRegistry } from "../../src/connectors/registry.js";
import { ConnectorService } from "../../src/connectors/service.js";
import { BUILTIN_TEMPLATES } from "../../src/connectors/templates.js";
import { createRouter } from "../../src/http/index.js";
import { as, memoryManager, openAIStandIn, serveNode, testAuthenticate } from "../http/support.js";
import { providerKey } from "./support.js";

const key = providerKey("sk-");
const provider = openAIStandIn(key, [key]);

describe("templates in the catalog", () => {
  it("every built-in template names a registered connector and only settings that connector declares, none secret", () => {
    expect(BUILTIN_TEMPLATES.map((template) => template.name)).toEqual(
      expect.arrayContaining(["OpenAI — cheap chat", "Azure OpenAI — EU deployment"]),
    );
    for (const template of BUILTIN_TEMPLATES) {
      const spec = defaultRegistry.spec(template.connector);
      for (const name of Object.keys(template.configuration)) {
        const field = spec.fields.find((candidate) => candidate.name === name);
        expect(field, `${template.id}: ${name}`).toBeDefined();
        expect(field?.secret, `${template.id}: ${name} is secret`).toBe(false);
      }
    }
    expect(new Set(BUILTIN_TEMPLATES.map((template) => template.id)).size).toBe(BUILTIN_TEMPLATES.length);
  });

  it("the registry lists templates by connector, and none for a connector it does not have", () => {
    expect(defaultRegistry.templates("openai").map((template) => template.id)).toEqual(["openai-cheap-chat"]);
    const bare = new ConnectorRegistry({ builtins: false });
    expect(bare.templates()).toEqual([]);
    expect(() => bare.template("openai-cheap-chat")).toThrow(expect.objectContaining({ code: "not_found" }));
    expect(() => defaultRegistry.template("no-such-template")).toThrow(
      expect.objectContaining({ code: "not_found" }),
    );
  });
});

describe("ConnectorService.createFromTemplate", () => {
  it("creates a connection with the template's connector and configuration, the caller's over it; the key is stored", async () => {
    const service = new ConnectorService({
      credentials: memoryManager(),
      tenantId: "acme",
      store: memoryConnectionStore(),
    });
    const record = await service.createFromTemplate("azure-openai-eu", {
      instanceName: "EU assistant",
      configuration: {
        endpoint: "https://contoso-eu.openai.azure.com",
        deployment: "gpt-4o-eu",
        apiKey: "0".repeat(84),
      },
    });
    expect(record).toMatchObject({
      connector: "azure-openai",
      instanceName: "EU assistant",
      configuration: {
        apiVersion: "2024-10-21",
        deployment: "gpt-4o-eu",
        endpoint: "https://contoso-eu.openai.azure.com",
      },
    });
    expect(JSON.stringify(record)).not.toContain("0".repeat(84));
    expect(Object.keys(record.secretsReferences)).toEqual(["apiKey"]);
  });

  it("an unknown template is NotFoundError and creates nothing", async () => {
    const service = new ConnectorService({
      credentials: memoryManager(),
      tenantId: "acme",
      store: memoryConnectionStore(),
    });
    await expect(service.createFromTemplate("nope", { instanceName: "x" })).rejects.toMatchObject({
      code: "not_found",
    });
    expect((await service.list()).items).toEqual([]);
  });
});

describe("HTTP: GET /templates, POST /templates/{id}/integrations", () => {
  it("lists templates, creates an integration from one that tests active, and 404s an unknown template", async () => {
    const router = createRouter({
      credentials: memoryManager(),
      connections: memoryConnectionStore(),
      authenticate: testAuthenticate,
      prefix: "/credkit",
      connectorOptions: { baseURL: `${provider().url}/v1`, maxRetries: 0 },
    });
    const served = await serveNode(router, "/credkit");
    try {
      const call = (path: string, init: RequestInit = {}) =>
        served.fetch(`${served.base}${path}`, {
          ...init,
          headers: { ...as("acme"), "content-type": "application/json", ...init.headers },
        });
      const listed = (await (await call("/templates?connector=openai")).json()) as {
        templates: { id: string }[];
      };
      expect(listed.templates.map((template) => template.id)).toEqual(["openai-cheap-chat"]);
      const all = (await (await call("/templates")).json()) as { templates: unknown[] };
      expect(all.templates).toHaveLength(BUILTIN_TEMPLATES.length);

      const created = await call("/templates/openai-cheap-chat/integrations", {
        method: "POST",
        body: JSON.stringify({ name: "Cheap chat", credentials: { apiKey: key } }),
      });
      expect(created.status).toBe(201);
      const integration = (await created.json()) as { id: string; connector: string; configuration: object };
      expect(integration).toMatchObject({ connector: "openai", configuration: { model: "gpt-4o-mini" } });
      const verdict = (await (
        await call(`/integrations/${integration.id}/test`, { method: "POST" })
      ).json()) as {
        success: boolean;
      };
      expect(verdict.success).toBe(true);

      const malformed = await call("/templates/openai-cheap-chat/integrations", {
        method: "POST",
        body: JSON.stringify({ name: "Bad", credentials: { apiKey: "not-a-key" } }),
      });
      expect(malformed.status).toBe(400);
      const unknown = await call("/templates/no-such-template/integrations", {
        method: "POST",
        body: JSON.stringify({ name: "x" }),
      });
      expect(unknown.status).toBe(404);
    } finally {
      await served.close();
    }
  });
});
