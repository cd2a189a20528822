/** Wraps a backend to count calls and inject failures, for cache and audit tests. */
import type { Backend } from "../../src/core/backend.js";

export interface Instrumented {
  backend: Backend;
  calls: { get: number; put: number; getMany: number };
  /** While set, every get fails with this error. */
  failWith: Error | undefined;
  /** Delay added to each get, in milliseconds. */
  delayMs: number;
}

export function instrument(inner: Backend): Instrumented {
  const state: Instrumented = {
    backend: inner,
    calls: { get: 0, put: 0, getMany: 0 },
    failWith: undefined,
    delayMs: 0,
  };
  state.backend = {
    ...inner,
    name: inner.name,
    capabilities: inner.capabilities,
    async get(key, options) {
      state.calls.get++;
      if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.failWith) throw state.failWith;
      return inner.get(key, options);
    },
    async put(key, write, options) {
      state.calls.put++;
      return inner.put(key, write, options);
    },
  };
  return state;
}
