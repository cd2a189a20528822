/**
 * `combineKeyProviders` (a migration between keys): new data keys come from the current provider
 * under its key version of the moment, and the envelope keeps no cache beside a KMS's bounded one.
 */
import { describe, expect, it } from "vitest";
import { combineKeyProviders } from "../../src/kit/key-provider.js";
import { keyring } from "../support/fixtures.js";

describe("combineKeyProviders", () => {
  it("follows the current provider's key id as it rotates, and forwards generateDataKey and cachesDataKeys", async () => {
    let version = 1;
    const local = keyring();
    const current = {
      get currentKeyId() {
        return `kms:key#${version}`;
      },
      cachesDataKeys: true,
      hasKey: (keyId: string) => keyId.startsWith("kms:key#"),
      wrapKey: async (dataKey: Uint8Array) => dataKey,
      unwrapKey: async (_keyId: string, wrapped: Uint8Array) => wrapped,
      generateDataKey: async () => ({
        dataKey: new Uint8Array(32).fill(version),
        wrapped: new Uint8Array([version]),
      }),
    };
    const combined = combineKeyProviders(current, local);
    expect(combined.currentKeyId).toBe("kms:key#1");
    version = 2;
    expect(combined.currentKeyId).toBe("kms:key#2");
    expect(combined.cachesDataKeys).toBe(true);
    expect((await combined.generateDataKey?.(new Uint8Array(1)))?.wrapped).toEqual(new Uint8Array([2]));
    expect(combined.hasKey(local.currentKeyId)).toBe(true);
    expect(combineKeyProviders(local, keyring()).cachesDataKeys).toBe(false);
  });
});
