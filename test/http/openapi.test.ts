/**
 * The OpenAPI document validates against the OpenAPI 3.1 schema (a maintained validator), matches
 * the routes the router serves, and the typed client calls exactly the document's operations. The
 * client bundles for the browser without any node module.
 */

import { Validator } from "@seriousme/openapi-schema-validator";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { CLIENT_OPERATIONS } from "../../src/http/client.js";
import { createRouter } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";
import { testAuthenticate } from "./support.js";

function router(aliases = true) {
  const credentials = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
  return createRouter({ credentials, authenticate: testAuthenticate, prefix: "/credkit", aliases });
}

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const document = router().openapi();
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("a broken document is refused by the same validator (the check has teeth)", async () => {
    const broken = structuredClone(router().openapi()) as unknown as {
      paths: Record<string, Record<string, { parameters: Array<{ in?: string }> }>>;
    };
    delete broken.paths["/credentials/{id}"]!.get!.parameters[0]!.in;
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it("documents every operation the router answers, with its body schema and error statuses", async () => {
    const document = router().openapi();
    const create = document.paths["/integrations"]!.post!;
    const body = (create.requestBody as { content: Record<string, { schema: { required: string[] } }> })
      .content["application/json"]!.schema;
    expect(body.required).toEqual(expect.arrayContaining(["connector", "name"]));
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "409", "413", "415"]),
    );
    expect(document.paths["/api/v1/integrations/{org}/{provider}/setup"]?.post).toBeDefined();
    expect(document.paths["/features/connectors/{id}/test-connection"]?.post).toBeDefined();
    expect(document.paths["/openapi.json"]?.get?.security).toEqual([]);
    expect(document.servers).toEqual([{ url: "/credkit" }]);
    // Every documented operation is answered (not 404/405) by the router.
    const served = router();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const url = `http://x/credkit${path.replace(/\{(\w+)\}/g, (_, name) => (name === "org" ? "t" : "x"))}`;
        const response = await served.fetch(
          new Request(url, { method: method.toUpperCase(), headers: { "x-test-tenant": "t" } }),
        );
        expect(
          [404, 405].includes(response.status) &&
            ((await response.clone().json()) as { code: string }).code !== "not_found",
        ).toBe(false);
      }
    }
    expect(Object.keys(router(false).openapi().paths).some((path) => path.startsWith("/api/"))).toBe(false);
  });

  it("the typed client calls exactly the document's canonical operations", () => {
    const operations = new Map<string, [string, string]>();
    for (const [path, methods] of Object.entries(router(false).openapi().paths)) {
      for (const [method, operation] of Object.entries(methods))
        operations.set(operation.operationId, [method.toUpperCase(), path]);
    }
    operations.delete("getOpenApiDocument");
    expect(Object.fromEntries(operations)).toEqual(
      Object.fromEntries(Object.entries(CLIENT_OPERATIONS).map(([id, route]) => [id, [...route]])),
    );
  });

  it("the client bundles for the browser with no node module and no schema library", async () => {
    const result = await build({
      entryPoints: ["src/http/client.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toEqual(["src/http/client.ts"]);
    expect(result.outputFiles[0]!.text).not.toMatch(/node:|require\(/);
  });
});
