import { describe, expect, it } from "vitest";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnsupportedError } from "../../src/core/errors.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { keyring } from "../support/fixtures.js";
import { plainBackend } from "../support/plain-backend.js";

// The contract's branches for a store that keeps no versions and deletes for good.
runBackendContract({ name: "plain (no versions, no soft delete)", create: async () => plainBackend() });

describe("plain backend", () => {
  it("takes the no-soft-delete branch: restore is unsupported after a delete", async () => {
    const manager = new CredentialManager({ backend: plainBackend(), encryption: keyring(), cache: false });
    await manager.storeCredentials("c", "t", { apiKey: "plain-value-0001" });
    await manager.deleteCredentials("c", "t");
    const restore = await manager.restoreCredentials("c", "t").catch((e: unknown) => e);
    expect(UnsupportedError.isInstance(restore)).toBe(true);
  });
});
