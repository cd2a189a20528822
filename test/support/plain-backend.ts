/**
 * A store with neither versions nor soft delete, for the contract suite's branches that only such
 * a store takes: it keeps the latest value of each credential only, and a delete removes it for
 * good (no `restore`). Built over the memory backend.
 */
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";

export function plainBackend(): Backend {
  const { restore: _restore, ...inner } = memoryBackend({ env: {} });
  return {
    ...inner,
    name: "plain",
    capabilities: { ...inner.capabilities, versions: false, softDelete: false },
    // why: only the latest value is kept, so a pinned read finds it or nothing.
    async get(key, options = {}) {
      const latest = await inner.get(key);
      return options.version === undefined || latest?.version === options.version ? latest : undefined;
    },
    delete: (key) => inner.delete(key, { purge: true }),
  };
}
