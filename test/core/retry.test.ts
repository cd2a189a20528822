import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthError, ThrottledError, UnavailableError } from "../../src/core/errors.js";
import { withRetry } from "../../src/core/retry.js";

afterEach(() => {
  vi.useRealTimers();
});

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let index = 0; index < 5; index++) await Promise.resolve();
}

describe("withRetry", () => {
  it("retries transient failures and stops at the first success", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error("flaky");
        return "ok";
      },
      () => new UnavailableError("flaky"),
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("never retries a non-transient error, and gives up after the last attempt", async () => {
    let calls = 0;
    const auth = await withRetry(
      async () => {
        calls++;
        throw new Error("denied");
      },
      () => new AuthError("denied"),
      { attempts: 5, baseDelayMs: 1 },
    ).catch((error: unknown) => error);
    expect(AuthError.isInstance(auth)).toBe(true);
    expect(calls).toBe(1);
    calls = 0;
    const down = await withRetry(
      async () => {
        calls++;
        throw new Error("down");
      },
      () => new UnavailableError("down"),
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    ).catch((error: unknown) => error);
    expect(UnavailableError.isInstance(down)).toBe(true);
    expect(calls).toBe(3);
  });

  it("waits as long as Retry-After asks, capped at maxDelayMs", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new Error("slow down");
        return "ok";
      },
      () => new ThrottledError("slow down", { retryAfterMs: calls === 1 ? 700 : 0 }),
      { attempts: 2, baseDelayMs: 1, maxDelayMs: 1000 },
    );
    await settle();
    await vi.advanceTimersByTimeAsync(699);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await run).toBe("ok");
    expect(calls).toBe(2);

    calls = 0;
    const capped = withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new Error("slow down");
        return "ok";
      },
      () => new ThrottledError("slow down", { retryAfterMs: 3_600_000 }),
      { attempts: 2, baseDelayMs: 1, maxDelayMs: 50 },
    );
    await settle();
    await vi.advanceTimersByTimeAsync(50);
    expect(await capped).toBe("ok");
  });

  it("abandons an attempt that outlives its timeout even if the call ignores the signal", async () => {
    const error = await withRetry(
      () => new Promise(() => undefined),
      () => new UnavailableError("hung", { source: "test" }),
      { attempts: 1, timeoutMs: 30 },
    ).catch((caught: unknown) => caught);
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("[credkit] [test] Call timed out after 30 ms.");
  });
  it("aborts the signal of an attempt at its time limit, with a TimeoutError as the reason", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let reason: unknown;
    const run = withRetry(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            reason = signal.reason;
            reject(signal.reason);
          });
        }),
      (error) => new UnavailableError("hung", { cause: error }),
      { attempts: 1, timeoutMs: 500 },
    ).catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(499);
    expect(reason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect((reason as Error).name).toBe("TimeoutError");
    expect(UnavailableError.isInstance(await run)).toBe(true);
  });

  it("never aborts the signal of an attempt that settled in time", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let kept: AbortSignal | undefined;
    const result = await withRetry(
      async ({ signal }) => {
        kept = signal;
        return "ok";
      },
      (error) => error as Error,
      { attempts: 1, timeoutMs: 10 },
    );
    expect(result).toBe("ok");
    await vi.advanceTimersByTimeAsync(40);
    expect(kept?.aborted).toBe(false);
  });
});
