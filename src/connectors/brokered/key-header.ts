/**
 * Putting the key on a brokered request. The SDK's headers carry a placeholder where its key
 * would go (an SDK may put it in a header of its own choosing: Anthropic 1.x sends
 * `Authorization: Bearer`); what is sent carries the key in the one auth header the connector's
 * spec declares, and the placeholder in no header.
 */

/** What the SDK client holds instead of the key. */
export const BROKERED_PLACEHOLDER = "credkit-brokered-placeholder";

/**
 * The headers to send as a copy: the SDK's, less every header carrying the placeholder, plus
 * the auth header. One pass into a plain record (names lower-cased, as `Headers` yields them),
 * which `fetch` takes as it is.
 */
function withKey(sdkHeaders: RequestInit["headers"], name: string, value: string): Record<string, string> {
  // why: no prototype, so a header named like `__proto__` is a header like any other.
  const headers: Record<string, string> = Object.create(null);
  const entries = sdkHeaders instanceof Headers ? sdkHeaders : new Headers(sdkHeaders);
  for (const [sdkName, sdkValue] of entries) {
    if (!sdkValue.includes(BROKERED_PLACEHOLDER)) headers[sdkName] = sdkValue;
  }
  headers[name] = value;
  return headers;
}

/** Whether no header but `name` carries the placeholder. */
function onlyIn(headers: Headers, name: string): boolean {
  for (const [sdkName, sdkValue] of headers) {
    if (sdkName !== name && sdkValue.includes(BROKERED_PLACEHOLDER)) return false;
  }
  return true;
}

/**
 * Sends `init` with `value` in header `name`. With `inPlace` (the platform's `fetch`, which
 * copies the headers into its request before it returns) and SDK headers that are a `Headers`
 * carrying the placeholder in that header only, the header is set on them for the span of the
 * synchronous `send` call and given its own value back right after: the key is in the SDK's
 * object only while `fetch` copies it, and no copy of the headers is made (`fetch` takes a
 * `Headers` much faster than a record). Otherwise (an operator's `fetch` may read the headers
 * later) a copy is sent.
 */
export function sendWithKey(
  send: typeof globalThis.fetch,
  inPlace: boolean,
  url: URL,
  init: RequestInit,
  name: string,
  value: string,
): Promise<Response> {
  const headers = init.headers;
  if (!inPlace || !(headers instanceof Headers) || !onlyIn(headers, name)) {
    return send(url, { ...init, headers: withKey(headers, name, value) });
  }
  const own = headers.get(name);
  headers.set(name, value);
  try {
    return send(url, init);
  } finally {
    if (own === null) headers.delete(name);
    else headers.set(name, own);
  }
}
