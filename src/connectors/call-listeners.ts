/**
 * Per-call abort listeners on a connector's long-lived signal. SDKs add an `abort` listener to
 * the signal they are given on every request and never remove it (openai's `fetchWithTimeout`):
 * on a connector that lives for many calls the listeners pile up, holding each request's
 * controller, and every new one costs a walk of the list (EventTarget checks for duplicates).
 * `scopedListeners` records the listeners added while a call runs and removes them when the call
 * settles. Used for the connector's own methods, whose results are complete when they return
 * (not for `call()`, which may return a stream that must stay abortable).
 */
import { AsyncLocalStorage } from "node:async_hooks";

type Listener = Parameters<AbortSignal["addEventListener"]>[1];
type Options = Parameters<AbortSignal["addEventListener"]>[2];
type Added = [type: string, listener: NonNullable<Listener>, options: Options];

/** Runs calls with the listeners they add to `signal` removed once each call settles. */
export function scopedListeners(signal: AbortSignal): <T>(run: () => Promise<T>) => Promise<T> {
  const scope = new AsyncLocalStorage<Added[]>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  Object.defineProperty(signal, "addEventListener", {
    configurable: true,
    value(type: string, listener: Listener, options?: Options) {
      add(type, listener, options);
      if (listener) scope.getStore()?.push([type, listener, options]);
    },
  });
  return async (run) => {
    const added: Added[] = [];
    try {
      return await scope.run(added, run);
    } finally {
      for (const [type, listener, options] of added) remove(type, listener, options);
    }
  };
}
