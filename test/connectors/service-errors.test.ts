/**
 * Errors the connector service throws itself — from its stores, from the credential manager, from
 * building a connector — leave rebuilt and scrubbed of every secret the call saw, and an error the
 * service cannot trust (a getter, a proxy) is rebuilt even when no secret is known.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { createConnectorRegistry } from "../../src/connectors/registry.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnavailableError, type ValidationError } from "../../src/core/errors.js";
import { guardOutput } from "../support/output.js";
import { carelessConnector, expectNowhere, serviceOn, unlimitedForms } from "./service-support.js";
import { alphanumericKey, rejection } from "./support.js";

// Keys with no known prefix: only scrubbing by value can find them, never a pattern.
const key = alphanumericKey(40, "wx");
const rotated = alphanumericKey(40, "wx");
guardOutput(() => [key, rotated]);

/** A store that, once `refusing`, answers a write with the request body in its error, as some servers do. */
function echoingBackend(): Backend & { refusing: boolean } {
  const inner = memoryBackend({ env: {} });
  const backend = {
    refusing: true,
    name: inner.name,
    capabilities: inner.capabilities,
    get: inner.get.bind(inner),
    list: inner.list.bind(inner),
    delete: inner.delete.bind(inner),
    put: ((key, write, options) => {
      if (!backend.refusing) return inner.put(key, write, options);
      throw new UnavailableError("The store refused the write.", {
        cause: new Error(`400 Bad Request: ${JSON.stringify({ value: write.value })}`),
      });
    }) as Backend["put"],
  };
  return backend;
}

describe("errors the connector service throws itself", () => {
  it("a store error echoing the written key leaves create, update and rotate scrubbed", async () => {
    const backend = echoingBackend();
    const credentials = new CredentialManager({ backend, encryption: false, cache: false });
    const { service } = serviceOn({ credentials, store: memoryConnectionStore() });
    const input = { id: "a", connector: "openai", instanceName: "A", configuration: { apiKey: key } };
    const created = await rejection(service.create(input));
    expect(unlimitedForms(created)).toContain("The store refused the write.");
    backend.refusing = false;
    await service.create(input);
    backend.refusing = true;
    const updated = await rejection(service.update("a", { configuration: { apiKey: rotated } }));
    const rotatedError = await rejection(service.rotateCredentials("a", { apiKey: rotated }));
    expect(unlimitedForms(rotatedError)).toContain("The store refused the write.");
    expectNowhere(key, created, updated, rotatedError);
    expectNowhere(rotated, updated, rotatedError);
  });

  it("a typed error naming a resolved key leaves createSdkConnectorInstance, withConnector and testConnection scrubbed", async () => {
    const registry = createConnectorRegistry({ builtins: false }).register(carelessConnector);
    const { service, manager, tenantId } = serviceOn({ registry, store: memoryConnectionStore() });
    await manager.forTenant(tenantId).store("careless-key", { apiKey: key });
    await service.create({
      id: "c",
      connector: "careless",
      instanceName: "C",
      secretsReferences: { apiKey: { secret_name: "careless-key" } },
    });
    const built = await rejection(service.createSdkConnectorInstance("c"));
    expect(built.message).toContain("is not for this region");
    expect((built as ValidationError).code).toBe("validation");
    const used = await rejection(service.withConnector("c", () => "never"));
    const verdict = await service.testConnectorConnection("c");
    expect(verdict.success).toBe(false);
    expect(verdict.error).toContain("is not for this region");
    const record = await service.get("c");
    expectNowhere(key, built, used, verdict, record);
  });

  it("an error it cannot trust (a getter) is rebuilt even when the call saw no secret", async () => {
    const hostile = new Error("store down");
    Object.defineProperty(hostile, "detail", { enumerable: true, get: () => `row ${key}` });
    const inner = memoryConnectionStore();
    const { service } = serviceOn({
      store: {
        ...inner,
        get: async () => {
          throw hostile;
        },
        list: async () => {
          throw hostile;
        },
      },
    });
    for (const call of [service.get("x"), service.list(), service.delete("x"), service.disable("x")]) {
      const thrown = await rejection(call);
      expect(thrown).not.toBe(hostile);
      expect(thrown.message).toBe("store down");
      expectNowhere(key, thrown);
    }
  });
});
