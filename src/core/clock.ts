/**
 * A coarse clock for the read path. `Date.now()` costs tens of nanoseconds on some machines,
 * more than the rest of a cache hit; the audit time and the expiry check need only millisecond
 * precision, so the value is read once and reused until a 1 ms timer (unref'd, never keeping the
 * process alive) marks it old.
 */
let cached: number | undefined;

function expire(): void {
  cached = undefined;
}

/** Epoch milliseconds, at most about 1 ms old. */
export function coarseNow(): number {
  if (cached === undefined) {
    cached = Date.now();
    const timer = setTimeout(expire, 1) as { unref?: () => void };
    timer.unref?.();
  }
  return cached;
}

/**
 * Time and timers as one injectable object, for code that schedules work (the health monitor,
 * webhook retries): tests pass a manual clock (`manualClock()` from credkit/testing) and move
 * time themselves instead of waiting.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `ms`; the timer never keeps the process alive. Returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by `setTimeout`; an unknown or fired handle is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and unref'd Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms) as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
};
