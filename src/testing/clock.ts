/**
 * A clock whose time moves only when a test says so: timers fire in due order (ties in the order
 * they were set) as `advance` passes their time.
 */
import type { Clock } from "../core/clock.js";

/** A `Clock` driven by the test. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, each at its own time. */
  advance(ms: number): void;
  /** Timers set and not yet fired or cleared. */
  pending(): number;
  /** When the next pending timer is due (epoch ms), or undefined when none is. */
  nextDue(): number | undefined;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A manual clock starting at `start` (epoch ms). */
export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, Timer>();
  const earliest = (): Timer | undefined => {
    let first: Timer | undefined;
    for (const timer of timers.values()) {
      if (!first || timer.at < first.at || (timer.at === first.at && timer.seq < first.seq)) first = timer;
    }
    return first;
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + Math.max(0, ms), seq: seq++, fn };
      timers.set(timer.seq, timer);
      return timer.seq;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (let next = earliest(); next && next.at <= until; next = earliest()) {
        timers.delete(next.seq);
        now = next.at;
        next.fn();
      }
      now = until;
    },
    pending: () => timers.size,
    nextDue: () => earliest()?.at,
  };
}
