/**
 * Every audited operation can carry who acted and a correlation id: through each method's options,
 * through a tenant view's context, and from the HTTP router (the caller's actor, `X-Request-Id`).
 * Listing and describing no longer record `unknown` when the caller says who it is.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ValidationError } from "../../src/core/errors.js";
import { createRouter } from "../../src/http/router.js";
import { keyring, rejection, uniqueId } from "../support/fixtures.js";

const manager = () => new CredentialManager({ backend: memoryBackend(), encryption: keyring() });
const context = { accessor: "svc-billing", correlationId: "req-123" };

describe("actor and correlation id in the audit trail", () => {
  it("each method records the accessor or actor and the correlation id it is given", async () => {
    const credentials = manager();
    const tenant = uniqueId("tenant");
    const writer = { actor: "svc-billing", correlationId: "req-123" };
    await credentials.storeCredentials("conn", tenant, { apiKey: "sk-aaaaaaaaaaaaaaaa" }, writer);
    await credentials.rotateCredentials("conn", tenant, { apiKey: "sk-bbbbbbbbbbbbbbbb" }, writer);
    await credentials.getCredentials("conn", tenant, context);
    await credentials.getCredentials("conn", tenant, context); // a cache hit
    await credentials.getManyCredentials([{ connectionId: "conn", userId: tenant }], context);
    await credentials.describeCredentials("conn", tenant, context);
    await credentials.listCredentials(tenant, context);
    await credentials.deleteCredentials("conn", tenant, writer);
    await rejection(credentials.getCredentials("conn", tenant, context));

    const events = credentials.audit.events({ tenant });
    expect(events.map((event) => event.action)).toEqual([
      "write",
      "rotate",
      "read",
      "read",
      "read",
      "describe",
      "list",
      "delete",
      "read",
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ accessor: "svc-billing", correlationId: "req-123" });
    }
    expect(events.at(-1)).toMatchObject({ outcome: "failure", errorCode: "deleted" });
  });

  it("a correlation id out of bounds is a ValidationError, recorded without it", async () => {
    const credentials = manager();
    const tenant = uniqueId("tenant");
    const huge = "x".repeat(10_000);
    await credentials.storeCredentials("conn", tenant, { apiKey: "sk-aaaaaaaaaaaaaaaa" });
    for (const call of [
      () => credentials.getCredentials("conn", tenant, { correlationId: huge }),
      () => credentials.describeCredentials("conn", tenant, { correlationId: huge }),
      () => credentials.listCredentials(tenant, { correlationId: huge }),
      () =>
        credentials.storeCredentials(
          "conn",
          tenant,
          { apiKey: "sk-cccccccccccccccc" },
          { correlationId: huge },
        ),
    ]) {
      expect(await rejection(call())).toBeInstanceOf(ValidationError);
    }
    const [batch] = await credentials.getManyCredentials([{ connectionId: "conn", userId: tenant }], {
      correlationId: huge,
    });
    expect(batch?.ok === false && ValidationError.isInstance(batch.error)).toBe(true);
    expect(() => credentials.forTenant(tenant, { correlationId: huge })).toThrow(ValidationError);
    expect(JSON.stringify(credentials.audit.events())).not.toContain(huge);
  });

  it("a tenant view with a context records it on every operation; a call's own options win", async () => {
    const credentials = manager();
    const tenant = uniqueId("tenant");
    const view = credentials.forTenant(tenant, { actor: "api-key:acme", correlationId: "job-7" });
    await view.store("conn", { apiKey: "sk-aaaaaaaaaaaaaaaa" });
    await view.get("conn");
    await view.describe("conn");
    await view.list();
    await view.get("conn", { accessor: "connector_9" });
    const events = credentials.audit.events({ tenant });
    expect(events.map((event) => [event.action, event.accessor, event.correlationId])).toEqual([
      ["write", "api-key:acme", "job-7"],
      ["read", "api-key:acme", "job-7"],
      ["describe", "api-key:acme", "job-7"],
      ["list", "api-key:acme", "job-7"],
      ["read", "connector_9", "job-7"],
    ]);
  });

  it("the HTTP router records the caller as actor and X-Request-Id as correlation id", async () => {
    const credentials = manager();
    const tenant = uniqueId("tenant");
    const router = createRouter({
      credentials,
      authenticate: (request) => ({ tenantId: request.headers.get("x-tenant") ?? "", actor: "api-key:acme" }),
    });
    const headers = { "x-tenant": tenant, "x-request-id": "req-http-1", "content-type": "application/json" };
    const created = await router.fetch(
      new Request("http://local/credentials", {
        method: "POST",
        headers,
        body: JSON.stringify({ id: "conn", values: { apiKey: "sk-aaaaaaaaaaaaaaaa" } }),
      }),
    );
    expect(created.status).toBe(201);
    expect((await router.fetch(new Request("http://local/credentials", { headers }))).status).toBe(200);
    expect((await router.fetch(new Request("http://local/credentials/conn", { headers }))).status).toBe(200);
    const events = credentials.audit.events({ tenant });
    expect(events.map((event) => event.action)).toEqual(["write", "list", "describe"]);
    for (const event of events) {
      expect(event).toMatchObject({ accessor: "api-key:acme", correlationId: "req-http-1" });
    }
  });
});
