/**
 * The `AbortSignal` a connector's method hands its SDK. SDKs add an `abort` listener to the
 * signal they are given on every request and never remove it (openai's `fetchWithTimeout`): on
 * the connector's own signal those listeners would pile up, each holding its request's controller.
 *
 * Calls share a signal and the listeners are taken back: when no call is in flight, whatever is
 * left on the signal belongs to settled calls and is removed, and the next call reuses it. A
 * signal is retired (later calls get a new one; it is dropped with its listeners once its last
 * call settles) when a listener cannot be removed, or after `CALLS_PER_SIGNAL` calls without a
 * moment with none in flight. Cleanup aborts every signal that has a call in flight; nothing is
 * added to the connector's signal, and no async context is needed to tell calls apart.
 *
 * why: an `AbortController` per call (with its event target) was one of the larger costs of a
 * call's own work, next to the SDK's.
 */
import { getEventListeners, setMaxListeners } from "node:events";

/** How many calls may share a signal while one of them is always in flight. */
export const CALLS_PER_SIGNAL = 64;

/** One shared signal and the calls it serves. */
interface Shared {
  readonly controller: AbortController;
  /** Calls in flight on it. */
  inFlight: number;
  /** Calls started on it since it was last idle. */
  started: number;
}

function shared(): Shared {
  const controller = new AbortController();
  // why: the listeners of up to CALLS_PER_SIGNAL calls are expected here; no leak warning for them.
  setMaxListeners(0, controller.signal);
  return { controller, inFlight: 0, started: 0 };
}

/** Removes every `abort` listener; false when one stays (it could not be removed). */
function takeBackListeners(signal: AbortSignal): boolean {
  for (const listener of getEventListeners(signal, "abort")) {
    signal.removeEventListener("abort", listener as (event: Event) => void);
    signal.removeEventListener("abort", listener as (event: Event) => void, true);
  }
  return signal.onabort === null && getEventListeners(signal, "abort").length === 0;
}

/** The per-call signals of one connector. */
export class CallSignals {
  /** The signal new calls get; undefined until the first call, and after one is retired. */
  #current: Shared | undefined;
  /** Every signal with a call in flight. */
  readonly #busy = new Set<Shared>();

  /** Runs `call` with a signal that is aborted by `abort` while the call is in flight. */
  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let entry = this.#current;
    if (entry === undefined || entry.started >= CALLS_PER_SIGNAL) {
      entry = shared();
      this.#current = entry;
    }
    entry.inFlight++;
    entry.started++;
    this.#busy.add(entry);
    try {
      return await call(entry.controller.signal);
    } finally {
      this.#settled(entry);
    }
  }

  #settled(entry: Shared): void {
    if (--entry.inFlight > 0) return;
    this.#busy.delete(entry);
    if (entry !== this.#current) return;
    entry.started = 0;
    if (!takeBackListeners(entry.controller.signal)) this.#current = undefined;
  }

  /** Aborts every call in flight with `reason`. */
  abort(reason: unknown): void {
    for (const entry of this.#busy) entry.controller.abort(reason);
    this.#busy.clear();
    this.#current = undefined;
  }
}
