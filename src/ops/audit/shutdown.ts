/**
 * Graceful shutdown for what buffers audit events (or anything with `close()`): on SIGTERM or
 * SIGINT, close each in order, then let the signal do what it would have done.
 */

/** Something to close on shutdown: `PostgresAuditSink`, a fleet invalidation, a manager. */
export interface Closable {
  close(): Promise<void>;
}

/** Options of `flushOnShutdown`. */
export interface FlushOnShutdownOptions {
  /**
   * The signals to handle.
   * @default ["SIGTERM", "SIGINT"]
   */
  signals?: readonly NodeJS.Signals[];
  /** Told of a `close()` that failed (the others are still closed). */
  onError?: (error: unknown) => void;
}

/**
 * Closes `closables` in order when one of the signals arrives, then re-raises the signal so the
 * process ends as it would have (unless another handler of that signal is still installed, which
 * then decides). Returns a function that removes the handlers.
 */
export function flushOnShutdown(
  closables: readonly Closable[],
  options: FlushOnShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const remove = () => {
    for (const signal of signals) process.off(signal, handle);
  };
  const handle = (signal: NodeJS.Signals) => {
    remove();
    void (async () => {
      for (const closable of closables) {
        try {
          await closable.close();
        } catch (error) {
          options.onError?.(error);
        }
      }
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    })();
  };
  for (const signal of signals) process.once(signal, handle);
  return remove;
}
