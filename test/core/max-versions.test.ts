import { describe, expect, it } from "vitest";
import { cloudflareKvBackend } from "../../src/backends/cloudflare-kv/index.js";
import { fileBackend } from "../../src/backends/file/index.js";
import { postgresBackend } from "../../src/backends/postgres/index.js";
import { optionsFromEnv } from "../../src/backends/vault/config.js";
import { vaultBackend } from "../../src/backends/vault/index.js";
import { ConfigurationError } from "../../src/core/errors.js";

/** Every store with a `maxVersions` option, created with it (no request is made at creation). */
const stores: Record<string, (maxVersions: number) => unknown> = {
  file: (maxVersions) => fileBackend({ directory: "/nonexistent/credkit-max-versions", maxVersions }),
  postgres: (maxVersions) =>
    postgresBackend({ connectionString: "postgres://127.0.0.1:1/none", maxVersions }),
  vault: (maxVersions) =>
    vaultBackend({ endpoint: "http://127.0.0.1:1", auth: { method: "token", token: "t" }, maxVersions }),
  "cloudflare-kv": (maxVersions) =>
    cloudflareKvBackend({
      binding: {
        get: async () => null,
        put: async () => {},
        delete: async () => {},
        list: async () => ({ keys: [], list_complete: true }),
      } as never,
      maxVersions,
    }),
};

describe("issue 13 item 10: maxVersions has one meaning on every store", () => {
  for (const [name, create] of Object.entries(stores)) {
    it(`${name}: 0, negative and fractional counts are a ConfigurationError at creation, never silent loss`, () => {
      for (const maxVersions of [0, -1, 1.5, Number.NaN]) {
        expect(() => create(maxVersions), `${name} maxVersions ${maxVersions}`).toThrow(ConfigurationError);
      }
      expect(() => create(3)).not.toThrow();
    });
  }

  it("VAULT_KV_MAX_VERSIONS=0 is refused like the option", async () => {
    await expect(optionsFromEnv({ VAULT_KV_MAX_VERSIONS: "0", VAULT_TOKEN: "t" })).rejects.toThrow(
      ConfigurationError,
    );
  });
});
