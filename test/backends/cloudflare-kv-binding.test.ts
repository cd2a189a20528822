import { Miniflare } from "miniflare";
import { afterAll, beforeAll } from "vitest";
import { cloudflareKvBackend, type KVNamespaceLike } from "../../src/backends/cloudflare-kv/index.js";
import { runBackendContract } from "../contract/backend-contract.js";

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
