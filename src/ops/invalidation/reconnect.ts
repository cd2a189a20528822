/**
 * The reconnect schedule the invalidation adapters share: exponential backoff with full jitter
 * (`backoffDelay`), on an unref'd timer so a replica that is shutting down is never kept alive.
 */
import { backoffDelay, resolveRetryOptions } from "../../core/retry.js";

/** How an adapter retries a lost subscription. */
export interface ReconnectOptions {
  /**
   * First pause before reconnecting, in milliseconds; doubled on each failed attempt.
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * Longest pause between attempts, in milliseconds.
   * @default 5000
   */
  maxDelayMs?: number;
}

/**
 * Runs `attempt` after a growing pause until it succeeds or `stopped()` says to give up; each
 * failure goes to `onFailure`.
 */
export function reconnectLoop(
  options: ReconnectOptions,
  attempt: () => Promise<void>,
  stopped: () => boolean,
  onFailure: (error: unknown) => void,
): void {
  const retry = resolveRetryOptions({
    attempts: Number.MAX_SAFE_INTEGER,
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5000,
  });
  const step = (count: number) => {
    const timer = setTimeout(
      () => {
        if (stopped()) return;
        attempt().then(undefined, (error: unknown) => {
          if (stopped()) return;
          onFailure(error);
          step(count + 1);
        });
      },
      backoffDelay(count, retry),
    );
    timer.unref();
  };
  step(0);
}
