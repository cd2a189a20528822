/**
 * The `AbortSignal` a connector's method hands its SDK. SDKs add an `abort` listener to the
 * signal they are given on every request and never remove it (openai's `fetchWithTimeout`): on a
 * signal that lives as long as the connector those listeners would pile up, each holding its
 * request's controller. Cleanup aborts the signals of the calls in flight; nothing is added to
 * the connector's signal, and no async context is needed to tell calls apart.
 *
 * Calls share a signal (`SharedSignal`) that keeps the `abort` listeners added to it in a list
 * of its own instead of the event target's, and drops that list whenever no call is in flight:
 * the listeners then belong to settled calls. Only an abort (cleanup) hands them to the event
 * target, just before it fires. A signal is retired (later calls get a new one; it is dropped
 * once its last call settles) after `CALLS_PER_SIGNAL` calls without a moment with none in
 * flight, or when a listener went to the event target itself (another event type, an `onabort`
 * handler, a listener added after an abort).
 *
 * why: an `AbortController` per call (its event target, and the SDK's listener on it) was the
 * largest part of a brokered call's own work.
 */

import { setMaxListeners } from "node:events";

/** How many calls may share a signal while one of them is always in flight. */
export const CALLS_PER_SIGNAL = 64;

type AddParameters = Parameters<AbortSignal["addEventListener"]>;
type RemoveParameters = Parameters<AbortSignal["removeEventListener"]>;
type Listener = NonNullable<AddParameters[1]>;

/** One signal shared by the calls in flight, and the `abort` listeners they added to it. */
class SharedSignal {
  readonly #controller = new AbortController();
  readonly signal = this.#controller.signal;
  readonly #listeners: Listener[] = [];
  /** Calls in flight on it. */
  inFlight = 0;
  /** Calls started on it since it was last idle. */
  started = 0;
  /** Whether a listener went to the event target, where it cannot be dropped. */
  #sticky = false;

  constructor() {
    // why: own methods shadow EventTarget's on this one signal, so an SDK's `abort` listener costs
    // a push, and is dropped with the list instead of staying on the event target.
    Object.defineProperties(this.signal, {
      addEventListener: { value: (...args: AddParameters) => this.#add(...args) },
      removeEventListener: { value: (...args: RemoveParameters) => this.#remove(...args) },
    });
  }

  #add(type: string, listener: Listener | null, options?: AddParameters[2]): void {
    if (type !== "abort" || !listener || this.signal.aborted) {
      this.#sticky = true;
      EventTarget.prototype.addEventListener.call(this.signal, type, listener as Listener, options);
    } else this.#listen(listener, typeof options === "object" ? options.signal : undefined);
  }

  #remove(type: string, listener: Listener | null, options?: RemoveParameters[2]): void {
    if (type !== "abort" || !listener || !this.#forget(listener)) {
      EventTarget.prototype.removeEventListener.call(this.signal, type, listener as Listener, options);
    }
  }

  /** Keeps an `abort` listener; one added with a `signal` option is forgotten when that signal aborts. */
  #listen(listener: Listener, until: AbortSignal | undefined): void {
    if (until?.aborted) return;
    this.#listeners.push(listener);
    until?.addEventListener("abort", () => this.#forget(listener), { once: true });
  }

  /** Forgets a kept `abort` listener; false when it was not kept. */
  #forget(listener: Listener): boolean {
    const at = this.#listeners.lastIndexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
    return at >= 0;
  }

  /** Whether new calls must get another signal. */
  get retired(): boolean {
    return this.#sticky || this.started >= CALLS_PER_SIGNAL;
  }

  /** A call settled; when none is left in flight, the listeners of settled calls are dropped. */
  settled(): void {
    if (--this.inFlight > 0) return;
    this.#listeners.length = 0;
    this.started = 0;
    // why: setting `onabort` goes to the event target without addEventListener
    if (this.signal.onabort !== null) this.#sticky = true;
  }

  /** Aborts the signal: its listeners go to the event target first, so the abort reaches them. */
  abort(reason: unknown): void {
    const add = EventTarget.prototype.addEventListener;
    // why: the listeners of every call in flight (up to CALLS_PER_SIGNAL) are expected here, no leak
    setMaxListeners(0, this.signal);
    for (const listener of this.#listeners) add.call(this.signal, "abort", listener, { once: true });
    this.#listeners.length = 0;
    this.#controller.abort(reason);
  }
}

/** The per-call signals of one connector. */
export class CallSignals {
  /** The signal new calls get; undefined until the first call, and after one is retired. */
  #current: SharedSignal | undefined;
  /** Every signal with a call in flight. */
  readonly #busy = new Set<SharedSignal>();

  /** Runs `call` with a signal that `abort` aborts while the call is in flight. */
  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let shared = this.#current;
    if (shared === undefined || shared.retired) {
      shared = new SharedSignal();
      this.#current = shared;
    }
    if (shared.inFlight++ === 0) this.#busy.add(shared);
    shared.started++;
    try {
      return await call(shared.signal);
    } finally {
      shared.settled();
      if (shared.inFlight === 0) this.#busy.delete(shared);
    }
  }

  /** Aborts every call in flight with `reason`. */
  abort(reason: unknown): void {
    for (const shared of this.#busy) shared.abort(reason);
    this.#busy.clear();
    this.#current = undefined;
  }
}
