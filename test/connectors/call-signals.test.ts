/**
 * The signals a connector's methods hand their SDKs: calls share one while the `abort` listeners
 * SDKs leave on it can be taken back, no signal gathers the listeners of more than
 * `CALLS_PER_SIGNAL` calls, and cleanup aborts every call in flight.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { CALLS_PER_SIGNAL, CallSignals } from "../../src/connectors/call-signals.js";

/** What an SDK does with a request's signal: adds an abort listener and never removes it. */
function listen(signal: AbortSignal): void {
  signal.addEventListener("abort", () => {}, { once: true });
}

describe("per-call signals", () => {
  it("sequential calls share one signal, and the listeners their SDK left on it are taken back", async () => {
    const calls = new CallSignals();
    const signals = new Set<AbortSignal>();
    for (let index = 0; index < 100; index++) {
      await calls.run(async (signal) => {
        listen(signal);
        signals.add(signal);
      });
    }
    expect(signals.size).toBe(1);
    const [signal] = signals;
    expect(getEventListeners(signal as AbortSignal, "abort")).toHaveLength(0);
  });

  it("while calls overlap, no signal gathers the listeners of more than CALLS_PER_SIGNAL calls", async () => {
    const calls = new CallSignals();
    const signals: AbortSignal[] = [];
    const finish: Array<() => void> = [];
    const running = Array.from({ length: 3 * CALLS_PER_SIGNAL + 8 }, () =>
      calls.run(async (signal) => {
        listen(signal);
        signals.push(signal);
        await new Promise<void>((resolve) => finish.push(resolve));
      }),
    );
    const distinct = [...new Set(signals)];
    expect(distinct).toHaveLength(4);
    for (const signal of distinct) {
      expect(getEventListeners(signal, "abort").length).toBeLessThanOrEqual(CALLS_PER_SIGNAL);
    }
    for (const resolve of finish) resolve();
    await Promise.all(running);
    const next = await calls.run(async (signal) => signal);
    expect(getEventListeners(next, "abort")).toHaveLength(0);
  });

  it("a signal with a listener that cannot be taken back is not handed out again", async () => {
    const calls = new CallSignals();
    const first = await calls.run(async (signal) => {
      signal.onabort = () => {};
      return signal;
    });
    const second = await calls.run(async (signal) => signal);
    expect(second).not.toBe(first);
  });

  it("cleanup aborts every call in flight, whichever signal it has", async () => {
    const calls = new CallSignals();
    const pending = Array.from({ length: CALLS_PER_SIGNAL + 1 }, () =>
      calls.run(
        (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
      ),
    );
    const reason = new Error("cleaned up");
    calls.abort(reason);
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.every((outcome) => outcome.status === "rejected" && outcome.reason === reason)).toBe(
      true,
    );
  });

  it("cleanup with no call in flight aborts nothing", async () => {
    const calls = new CallSignals();
    const settled = await calls.run(async (signal) => signal);
    calls.abort(new Error("cleaned up"));
    expect(settled.aborted).toBe(false);
  });
});
