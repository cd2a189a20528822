/**
 * One HTTP request and its whole response, over undici's `request`: cheaper per call than
 * `fetch` (no WHATWG streams, `Headers` or `Response` objects), for backends that speak
 * a store's REST API. Undici's own timeouts bound each request instead of an abort signal, so a
 * hung response frees its socket without a signal and its listeners per attempt.
 */
import type { Dispatcher } from "undici";
import type { AttemptContext } from "../core/retry.js";

/** One request. */
export interface HttpExchange {
  readonly url: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  /** The request body, if any. */
  readonly body?: string | Uint8Array | undefined;
  /**
   * Milliseconds to wait for the response headers, and at most between two body chunks, before
   * undici aborts the request and closes its socket.
   */
  readonly timeoutMs: number;
  /** Aborts the request (besides `timeoutMs`). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The dispatcher to send through (an undici `Agent` with TLS settings, say).
   * @default undici's global dispatcher, so `setGlobalDispatcher` (a proxy, say) applies
   */
  readonly dispatcher?: Dispatcher | undefined;
}

/** A response, read whole. */
export interface HttpReply {
  readonly status: number;
  /** Lower-case names; a header sent more than once has its values joined by ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text ("" when there is none). */
  readonly text: string;
}

let undici: Promise<typeof import("undici")> | undefined;

/**
 * undici, imported on first use: a Worker bundle that never sends a request (Cloudflare KV's
 * binding mode) neither loads nor starts it.
 */
export function loadUndici(): Promise<typeof import("undici")> {
  undici ??= import("undici");
  return undici;
}

/** Sends `exchange` and reads its response whole. Network failures reject with undici's errors. */
export async function sendHttp(exchange: HttpExchange): Promise<HttpReply> {
  const { request } = await loadUndici();
  const response = await request(exchange.url, {
    method: exchange.method,
    headers: exchange.headers,
    body: exchange.body,
    headersTimeout: exchange.timeoutMs,
    bodyTimeout: exchange.timeoutMs,
    dispatcher: exchange.dispatcher,
    signal: exchange.signal,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { status: response.statusCode, headers, text: await response.body.text() };
}

/** Sends one request of an attempt (`withRetry`'s context) and reads its response whole. */
export type HttpSender = (exchange: HttpExchange, attempt: AttemptContext) => Promise<HttpReply>;

/** The default sender: `sendHttp`, bounded by the exchange's `timeoutMs`. */
export const undiciSender: HttpSender = (exchange) => sendHttp(exchange);

/**
 * A sender over a caller's `fetch` (a proxy, tracing): each request is aborted by its attempt's
 * signal, as `fetch` has no timeout of its own.
 */
export function fetchSender(fetchFunction: typeof fetch): HttpSender {
  return async (exchange, attempt) => {
    const response = await fetchFunction(exchange.url, {
      method: exchange.method,
      headers: exchange.headers,
      ...(exchange.body !== undefined ? { body: exchange.body } : {}),
      signal: attempt.signal,
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text: await response.text(),
    };
  };
}
