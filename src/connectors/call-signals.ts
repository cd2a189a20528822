/**
 * Each call of a connector's method gets an `AbortSignal` of its own. SDKs add an `abort`
 * listener to the signal they are given on every request and never remove it (openai's
 * `fetchWithTimeout`): on a signal that lives as long as the connector those listeners would
 * pile up, each holding its request's controller. A call's own signal is dropped with whatever
 * the SDK left on it when the call settles. Cleanup aborts the signals of the calls in flight;
 * nothing is added to the connector's signal, and no async context is needed to tell calls apart.
 */
export class CallSignals {
  readonly #inFlight = new Set<AbortController>();

  /** Runs `call` with a signal of its own, aborted by `abort` while the call is in flight. */
  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.#inFlight.add(controller);
    try {
      return await call(controller.signal);
    } finally {
      this.#inFlight.delete(controller);
    }
  }

  /** Aborts every call in flight with `reason`. */
  abort(reason: unknown): void {
    for (const controller of this.#inFlight) controller.abort(reason);
    this.#inFlight.clear();
  }
}
