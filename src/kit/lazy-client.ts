/**
 * An SDK client built on first use and shared by every later call. A build that fails (a missing
 * optional package, a bad setting) is not remembered: the next call tries again.
 */

/** A client built on first use; see `lazyClient`. */
export interface LazyClient<T> {
  /** The client, built by the first call. */
  get(): Promise<T>;
  /** Releases the built client (when it was built) and forgets it, so the next `get()` builds anew. */
  close(): Promise<void>;
}

/**
 * Builds the client with `build` on the first `get()`; `close()` hands it to `release` (which
 * must leave alone a client the caller passed in rather than one built here).
 */
export function lazyClient<T>(
  build: () => Promise<T>,
  release?: (client: T) => void | Promise<void>,
): LazyClient<T> {
  let pending: Promise<T> | undefined;
  return {
    get() {
      if (!pending) {
        const attempt: Promise<T> = build().catch((error: unknown) => {
          if (pending === attempt) pending = undefined;
          throw error;
        });
        pending = attempt;
      }
      return pending;
    },
    async close() {
      const current = pending;
      pending = undefined;
      if (!current || !release) return;
      const client = await current.then(
        (value) => ({ value }),
        () => undefined,
      );
      if (client) await release(client.value);
    },
  };
}
