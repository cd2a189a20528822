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
