/**
 * The signals a connector's methods hand their SDKs: calls share one whose `abort` listeners are
 * dropped once no call is in flight, no signal serves more than `CALLS_PER_SIGNAL` calls at once,
 * and cleanup aborts every call in flight (and reaches only their listeners).
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { CALLS_PER_SIGNAL, CallSignals } from "../../src/connectors/call-signals.js";

/** What an SDK does with a request's signal: adds an abort listener and never removes it. */
function listen(signal: AbortSignal, heard: string[] = [], name = ""): void {
  signal.addEventListener("abort", () => heard.push(name), { once: true });
}

/** A call that stays in flight until `finish` is called. */
function hanging(calls: CallSignals, heard: string[], name: string) {
  let finish = () => {};
  const settled = calls.run(async (signal) => {
    listen(signal, heard, name);
    await new Promise<void>((resolve) => {
      finish = resolve;
    });
    return signal;
  });
  return { settled, finish: () => finish() };
}

describe("per-call signals", () => {
  it("sequential calls share one signal; the listeners of settled calls never hear an abort", async () => {
    const calls = new CallSignals();
    const heard: string[] = [];
    const signals = new Set<AbortSignal>();
    for (let index = 0; index < 100; index++) {
      await calls.run(async (signal) => {
        listen(signal, heard, `settled ${index}`);
        signals.add(signal);
      });
    }
    expect(signals.size).toBe(1);
    const [signal] = signals as Set<AbortSignal>;
    expect(getEventListeners(signal as AbortSignal, "abort")).toHaveLength(0);
    const pending = hanging(calls, heard, "in flight");
    await Promise.resolve();
    calls.abort(new Error("cleaned up"));
    expect(heard).toEqual(["in flight"]);
    pending.finish();
    expect((await pending.settled).aborted).toBe(true);
  });

  it("while calls overlap, no signal serves more than CALLS_PER_SIGNAL calls", async () => {
    const calls = new CallSignals();
    const running = Array.from({ length: 3 * CALLS_PER_SIGNAL + 8 }, (_, index) =>
      hanging(calls, [], String(index)),
    );
    await Promise.resolve();
    for (const call of running) call.finish();
    const signals = await Promise.all(running.map((call) => call.settled));
    const distinct = new Set(signals);
    expect(distinct.size).toBe(4);
    for (const signal of distinct) {
      expect(signals.filter((one) => one === signal).length).toBeLessThanOrEqual(CALLS_PER_SIGNAL);
    }
  });

  it("a signal with a listener on its event target (an onabort handler) is not handed out again", async () => {
    const calls = new CallSignals();
    const first = await calls.run(async (signal) => {
      signal.onabort = () => {};
      return signal;
    });
    const second = await calls.run(async (signal) => signal);
    expect(second).not.toBe(first);
  });

  it("a listener removed, or added with a signal option that aborts, is not called", async () => {
    const calls = new CallSignals();
    const heard: string[] = [];
    const pending = hanging(calls, heard, "kept");
    await Promise.resolve();
    await calls.run(async (signal) => {
      const removed = () => heard.push("removed");
      signal.addEventListener("abort", removed);
      signal.removeEventListener("abort", removed);
      const until = new AbortController();
      signal.addEventListener("abort", () => heard.push("until"), { signal: until.signal });
      until.abort();
    });
    calls.abort(new Error("cleaned up"));
    expect(heard).toEqual(["kept"]);
    pending.finish();
    await pending.settled;
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
