/** The manual clock the scheduling tests use, and the system clock's unref'd timers. */
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { manualClock } from "../../src/testing/clock.js";

describe("clocks", () => {
  it("a manual clock fires timers in due order, each at its own time, and honours clearTimeout", () => {
    const clock = manualClock(1000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(["b", clock.now()]), 20);
    clock.setTimeout(() => {
      fired.push(["a", clock.now()]);
      clock.setTimeout(() => fired.push(["a2", clock.now()]), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push(["x", clock.now()]), 15);
    clock.clearTimeout(cancelled);
    expect(clock.nextDue()).toBe(1010);
    clock.advance(30);
    expect(fired).toEqual([
      ["a", 1010],
      ["a2", 1015],
      ["b", 1020],
    ]);
    expect(clock.now()).toBe(1030);
    expect(clock.pending()).toBe(0);
  });

  it("the system clock's timers do not keep the process alive", async () => {
    const handle = systemClock.setTimeout(() => undefined, 60_000) as { hasRef(): boolean };
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    const fired = await new Promise<boolean>((resolve) => {
      systemClock.setTimeout(() => resolve(true), 1);
      setTimeout(() => resolve(false), 10_000);
    });
    expect(fired).toBe(true);
  });
});
