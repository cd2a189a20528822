/**
 * Bounded retries with exponential backoff and full jitter, each attempt under its own timeout.
 * Backends whose SDK has no retry policy of its own (or one that can hang) use this, so every
 * backend fails the same way: a typed transient error after a bounded time.
 */
import { CredkitError, isTransientError, UnavailableError } from "./errors.js";

/** Retry and timeout settings for calls to a backend. */
export interface RetryOptions {
  /**
   * Attempts in all, the first included.
   * @default 3
   */
  attempts?: number | undefined;
  /**
   * Base delay before the first retry, in milliseconds; doubled each time, with full jitter.
   * @default 100
   */
  baseDelayMs?: number | undefined;
  /**
   * Longest delay between attempts, in milliseconds.
   * @default 2000
   */
  maxDelayMs?: number | undefined;
  /**
   * Time limit of each attempt, in milliseconds; `Infinity` leaves the limit to the store's client.
   * @default 10000
   */
  timeoutMs?: number | undefined;
}

/** Settings with every default filled in. */
export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  return {
    attempts: Math.max(1, options.attempts ?? 3),
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 2000,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
}

/** A delay for attempt `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, options: Required<RetryOptions>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/**
 * Waits a jittered backoff before another try at a contended write (a claim protocol losing to
 * another writer): uniform in [0, min(maxDelayMs, baseDelayMs * 2^attempt)].
 */
export function contentionBackoff(attempt: number, baseDelayMs: number, maxDelayMs: number): Promise<void> {
  const wait = backoffDelay(attempt, { attempts: 1, timeoutMs: 0, baseDelayMs, maxDelayMs });
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * What one attempt receives: a signal that aborts when the attempt's time is up. Read its
 * fields (`({ signal }) => …`); `signal` may be a getter, made only when read, so a spread
 * copy of the context is not the context.
 */
export interface AttemptContext {
  readonly signal: AbortSignal;
  readonly attempt: number;
}

/** The reason an attempt past its time limit is abandoned with, as `AbortSignal.timeout` gives. */
function timeoutReason(): DOMException {
  return new DOMException("The operation was aborted due to timeout", "TimeoutError");
}

/**
 * The time limit of one attempt: one timer, cleared as soon as the attempt settles. The abort
 * signal is made only when the operation reads it; a timer of `AbortSignal.timeout` per call
 * (never cleared, tracked through a weak reference) cost more than a loopback round trip's
 * share of the client's work.
 */
class AttemptLimit implements AttemptContext {
  readonly attempt: number;
  #controller: AbortController | undefined;
  #timedOut = false;

  constructor(attempt: number) {
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#timedOut && !this.#controller.signal.aborted) this.#controller.abort(timeoutReason());
    return this.#controller.signal;
  }

  /** Whether the attempt ran out of time. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /**
   * Settles with `operation`, or rejects when `timeoutMs` passes first (aborting the signal): a
   * hung call cannot outlive it. The timer does not keep the process alive.
   */
  run<T>(operation: (context: AttemptContext) => Promise<T>, timeoutMs: number): Promise<T> {
    const pending = operation(this);
    if (!Number.isFinite(timeoutMs)) return pending;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#timedOut = true;
        const reason = timeoutReason();
        this.#controller?.abort(reason);
        reject(reason);
      }, timeoutMs);
      timer.unref?.();
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/** What a caller may add to the retry policy. */
export interface RetryHooks {
  /**
   * Whether a transient failure may be retried, given the original error: e.g. not after a write
   * whose outcome is unknown. Non-transient failures are never retried.
   */
  retryable?(error: unknown): boolean;
  /** Called before each retry with the original error and the 0-based attempt that failed. */
  onRetry?(error: unknown, attempt: number): void;
}

/** The error an attempt ends with: the classified failure, or a timeout wrapping it. */
function attemptFailure(classified: Error, limit: AttemptLimit, timeoutMs: number): Error {
  if (!limit.timedOut) return classified;
  return new UnavailableError(`Call timed out after ${timeoutMs} ms.`, {
    cause: classified,
    ...(CredkitError.isInstance(classified) && classified.source ? { source: classified.source } : {}),
  });
}

/**
 * Runs `operation` until it succeeds, fails with a non-transient error, or runs out of
 * attempts. `classify` maps whatever the operation throws to a credkit error (transient ones
 * are retried, after the error's `retryAfterMs` when it has one, capped at `maxDelayMs`, else
 * after a jittered backoff). An attempt that outlives its timeout is abandoned, whether or not the operation
 * honours the signal, and counts as an `UnavailableError`. This is the one retry loop of every backend.
 */
export async function withRetry<T>(
  operation: (context: AttemptContext) => Promise<T>,
  classify: (error: unknown) => Error,
  options: RetryOptions = {},
  hooks: RetryHooks = {},
): Promise<T> {
  const settings = resolveRetryOptions(options);
  for (let attempt = 0; ; attempt++) {
    const limit = new AttemptLimit(attempt);
    let failure: Error;
    let original: unknown;
    try {
      return await limit.run(operation, settings.timeoutMs);
    } catch (error) {
      original = error;
      failure = attemptFailure(classify(error), limit, settings.timeoutMs);
    }
    const retryable = isTransientError(failure) && (hooks.retryable?.(original) ?? true);
    if (!retryable || attempt + 1 >= settings.attempts) throw failure;
    hooks.onRetry?.(original, attempt);
    // why: a service that says how long to wait (Retry-After) knows better than our backoff,
    // but never beyond maxDelayMs, so a hostile or broken header cannot stall the caller.
    const asked = CredkitError.isInstance(failure) ? failure.retryAfterMs : undefined;
    const wait = asked === undefined ? backoffDelay(attempt, settings) : Math.min(asked, settings.maxDelayMs);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
