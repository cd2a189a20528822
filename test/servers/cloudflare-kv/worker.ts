/**
 * A small Worker that uses credkit through its KV binding, bundled with esbuild and run in
 * workerd (miniflare) with `nodejs_compat`. It stores and reads a credential per request; the
 * revealed value goes back in the response only because this is a test fixture.
 */
import { cloudflareKvBackend, type KVNamespaceLike } from "../../../src/backends/cloudflare-kv/index.js";
import { createCredentialManager } from "../../../src/index.js";

interface Env {
  CREDENTIALS: KVNamespaceLike;
  CREDENTIAL_ENCRYPTION_KEY: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const tenant = url.searchParams.get("tenant") ?? "";
    const name = url.searchParams.get("name") ?? "";
    try {
      const credentials = await createCredentialManager({
        backend: cloudflareKvBackend({ binding: env.CREDENTIALS }),
        encryptionKey: env.CREDENTIAL_ENCRYPTION_KEY,
        env: {},
      });
      if (request.method === "PUT") {
        const fields = (await request.json()) as Record<string, string>;
        const info = await credentials.storeCredentials(name, tenant, fields, { type: "api_key" });
        return Response.json({ version: info.version, keyId: info.keyId });
      }
      const stored = await credentials.getCredentials(name, tenant);
      return Response.json({ apiKey: stored.apiKey?.reveal(), masked: String(stored.apiKey) });
    } catch (error) {
      const failure = error as { code?: string; message?: string };
      return Response.json({ code: failure.code, message: failure.message }, { status: 500 });
    }
  },
};
