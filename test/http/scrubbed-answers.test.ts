/**
 * No answer carries a key when a connector fails while it is being built: testing a credential or
 * an integration with a connector whose setup names the key it was given answers with the error's
 * kind and message, scrubbed, over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectorRegistry } from "../../src/connectors/registry.js";
import { createRouter } from "../../src/http/index.js";
import { carelessConnector } from "../connectors/service-support.js";
import { alphanumericKey } from "../connectors/support.js";
import { as, memoryManager, type Served, serveNode } from "./support.js";

// No known prefix: only scrubbing by value can find it.
const key = alphanumericKey(40, "wx");

describe("answers when a connector fails to build", () => {
  let served: Served;
  const seen: string[] = [];
  const call = async (path: string, body: unknown) => {
    const response = await served.fetch(`${served.base}${path}`, {
      method: "POST",
      headers: { ...as("acme"), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    seen.push(text, JSON.stringify([...response.headers]));
    return { status: response.status, text };
  };
  beforeAll(async () => {
    const router = createRouter({
      credentials: memoryManager(),
      registry: createConnectorRegistry({ builtins: false }).register(carelessConnector),
      authenticate: (request) => ({ tenantId: request.headers.get("x-test-tenant") ?? "", actor: "t" }),
    });
    served = await serveNode(router, "");
  });
  afterAll(() => served.close());

  it("POST /credentials/{id}/test and POST /integrations/{id}/test answer without the key", async () => {
    expect((await call("/credentials", { id: "careless-key", values: { apiKey: key } })).status).toBe(201);
    const credential = await call("/credentials/careless-key/test", { connector: "careless" });
    expect(credential.status).toBe(400);
    expect(credential.text).toContain("is not for this region");
    const created = await call("/integrations", {
      id: "careless",
      connector: "careless",
      name: "Careless",
      secretsReferences: { apiKey: { secret_name: "careless-key" } },
    });
    expect(created.status).toBe(201);
    const integration = await call("/integrations/careless/test", {});
    expect(integration.status).toBe(200);
    expect(integration.text).toContain("is not for this region");
    for (const text of seen) expect(text.includes(key)).toBe(false);
  });
});
