/**
 * Binding mode against a real workerd KV (miniflare, in memory, disposed after): the contract
 * suite, the Cloudflare-specific cases, and the core itself running inside a Worker.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingTransport } from "../../src/backends/cloudflare-kv/binding.js";
import { cloudflareKvBackend, type KVNamespaceLike } from "../../src/backends/cloudflare-kv/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { AuthError, NotFoundError, UnavailableError } from "../../src/core/errors.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { rawKeys, runCloudflareKvCases } from "../servers/cloudflare-kv/cases.js";
import { canary, keyring, TEST_KEY_A } from "../support/fixtures.js";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  peerDependencies: Record<string, string>;
};

let mf: Miniflare;
let kv: KVNamespaceLike;

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: 'export default { fetch: () => new Response("ok") }',
    kvNamespaces: ["CREDENTIALS"],
    compatibilityDate: "2026-04-01",
  });
  // why: without @cloudflare/workers-types miniflare's declared return type collapses; the object is a real KVNamespace.
  kv = (await mf.getKVNamespace("CREDENTIALS")) as unknown as KVNamespaceLike;
});
afterAll(async () => {
  await mf?.dispose();
});

runBackendContract({
  name: "cloudflare (binding, miniflare workerd KV)",
  create: async () => cloudflareKvBackend({ binding: kv }),
});

runCloudflareKvCases("binding", () => ({
  create: (options) => cloudflareKvBackend({ binding: kv, ...options }),
  transport: () => bindingTransport(kv),
}));

describe("credkit inside workerd (nodejs_compat)", () => {
  let worker: Miniflare;
  let workerKv: KVNamespaceLike;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("../servers/cloudflare-kv/worker.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      mainFields: ["module", "main"],
      // why: nodejs_compat provides node:*; the registry's lazy loaders name every optional SDK,
      // which a Worker bundle must leave out (they are only imported when their backend is chosen).
      external: ["node:*", ...Object.keys(packageJson.peerDependencies)],
      write: false,
      logLevel: "silent",
    });
    worker = new Miniflare({
      // why: an explicit module list, so miniflare does not try to resolve the SDKs left external.
      modules: [{ type: "ESModule", path: "worker.js", contents: bundle.outputFiles[0]?.text ?? "" }],
      compatibilityDate: "2026-04-01",
      compatibilityFlags: ["nodejs_compat"],
      kvNamespaces: ["CREDENTIALS"],
      bindings: { CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A },
    });
    workerKv = (await worker.getKVNamespace("CREDENTIALS")) as unknown as KVNamespaceLike;
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it("a Worker stores and reads a credential through its binding, encrypted with node:crypto", async () => {
    const secret = canary();
    const stored = await worker.dispatchFetch("http://worker/?tenant=user-42&name=openai", {
      method: "PUT",
      body: JSON.stringify({ apiKey: secret }),
    });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ version: 1, keyId: expect.stringMatching(/^k[0-9a-f]{8}$/) });

    const read = await worker.dispatchFetch("http://worker/?tenant=user-42&name=openai");
    expect(await read.json()).toEqual({ apiKey: secret, masked: expect.stringMatching(/^\*\*\*/) });

    // the same namespace, read from Node: ciphertext at rest, and the same credential decrypts here
    const heads = await rawKeys(bindingTransport(workerKv), "credkit/c/");
    expect(heads.map((key) => key.name)).toEqual(["credkit/c/user-2d42--openai"]);
    expect(JSON.stringify(await workerKv.get("credkit/c/user-2d42--openai", "text"))).not.toContain(secret);
    const fromNode = new CredentialManager({
      backend: cloudflareKvBackend({ binding: workerKv }),
      encryption: keyring(TEST_KEY_A),
      cache: false,
    });
    expect((await fromNode.getCredentials("openai", "user-42")).apiKey?.reveal()).toBe(secret);

    const missing = await worker.dispatchFetch("http://worker/?tenant=user-42&name=absent");
    expect(missing.status).toBe(500);
    expect(await missing.json()).toMatchObject({ code: "not_found" });
  });
});

describe("binding mode without bulk reads, and a binding that throws", () => {
  it("reads batches key by key when bulkGet is false", async () => {
    const backend = cloudflareKvBackend({ binding: kv, bulkGet: false, prefix: "nobulk/" });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    await manager.storeCredentials("a", "t", { apiKey: "single-read-aaaa" });
    const results = await manager.getManyCredentials([
      { connectionId: "a", userId: "t" },
      { connectionId: "b", userId: "t" },
    ]);
    expect(results[0]?.ok && results[0].credentials.apiKey?.reveal()).toBe("single-read-aaaa");
    expect(!results[1]?.ok && NotFoundError.isInstance(results[1]?.error)).toBe(true);
  });

  it("retries a binding's 429 and maps its other failures", async () => {
    let failures = 1;
    let lastError = new Error("KV PUT failed: 429 Too Many Requests");
    const flaky: KVNamespaceLike = {
      get: kv.get.bind(kv) as KVNamespaceLike["get"],
      list: kv.list.bind(kv),
      delete: kv.delete.bind(kv),
      put: async (key, value, options) => {
        if (failures-- > 0) throw lastError;
        return kv.put(key, value, options);
      },
    };
    const backend = cloudflareKvBackend({
      binding: flaky,
      prefix: "flaky/",
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    await manager.storeCredentials("f", "t", { apiKey: "flaky-value-0001" });
    expect(failures).toBe(-2);
    failures = 10;
    lastError = new Error("KV PUT failed: 500 Internal Server Error");
    const unavailable = await manager
      .storeCredentials("f", "t", { apiKey: "flaky-value-0002" })
      .catch((e) => e);
    expect(UnavailableError.isInstance(unavailable)).toBe(true);
    expect(failures).toBe(7);
    failures = 1;
    lastError = new Error("KV PUT failed: 403 Forbidden");
    expect(
      AuthError.isInstance(
        await manager.storeCredentials("f", "t", { apiKey: "x".repeat(20) }).catch((e) => e),
      ),
    ).toBe(true);
  });
});
