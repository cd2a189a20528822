import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { ConfigurationError } from "../../src/core/errors.js";
import { runBackendContract } from "../contract/backend-contract.js";

runBackendContract({ name: "memory", create: async () => memoryBackend({ env: {} }) });

describe("memory backend", () => {
  it("is refused in production, naming VAULT_TYPE", () => {
    let error: unknown;
    try {
      memoryBackend({ env: { NODE_ENV: "production" } });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("VAULT_TYPE");
  });
});
