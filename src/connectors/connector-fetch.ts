/**
 * The `fetch` a connector hands its SDK. It follows redirects itself so that no credential
 * crosses origins: on a redirect to another origin it drops `Authorization`, `Cookie`, every
 * header named like a key or token (e.g. Gemini's `x-goog-api-key`, `x-api-key`) and every header
 * whose value carries one of the connection's secrets. Requests to origins the operator did not
 * pass in code (a tenant's `baseURL`, a redirect target) go through the egress guard. A brokered
 * connector's `fetch` follows redirects by the same rules (`redirectingFetch`) and reaches the SDK
 * as it is.
 */
import { ValidationError } from "../core/errors.js";
import { type EgressOptions, EgressPolicy, type GuardedFetch, guardedFetch } from "./egress.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie)$|key|token|secret|auth|session|signature/i;

/** What `connectorFetch` needs from the connector. */
export interface ConnectorFetchOptions {
  /** Origins the operator passed in code (and the provider's own): not checked by the guard. */
  readonly trustedOrigins: ReadonlySet<string>;
  /** The operator's `fetch`, for trusted origins. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** The egress policy for every other origin. */
  readonly policy: EgressPolicy;
  /** Whether a header value carries one of the connection's secrets. */
  readonly carriesSecret: (value: string) => boolean;
}

/** A connector's `fetch` and the release of what it holds. */
export interface ConnectorFetch {
  readonly fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

function withoutCredentials(headers: Headers, carriesSecret: (value: string) => boolean): Headers {
  const kept = new Headers();
  for (const [name, value] of headers) {
    if (!CREDENTIAL_HEADER.test(name) && !carriesSecret(value)) kept.set(name, value);
  }
  return kept;
}

interface Hop {
  url: URL;
  method: string;
  /**
   * The caller's headers as given on the first hop (sent as they are, never changed here); a
   * `Headers` of this connector's own on every hop after a redirect.
   */
  headers: RequestInit["headers"];
  body: RequestInit["body"];
}

function firstHop(input: string | URL | Request, init: RequestInit): Hop {
  const request = input instanceof Request ? input : undefined;
  return {
    url: new URL(request ? request.url : String(input)),
    method: (init.method ?? request?.method ?? "GET").toUpperCase(),
    // why: no copy per request; one is made only when a redirect is followed (nextHop).
    headers: init.headers ?? request?.headers,
    body: init.body ?? request?.body ?? undefined,
  };
}

/** The next hop of a redirect, or undefined when the response is not one to follow. */
function nextHop(hop: Hop, response: Response, carriesSecret: (value: string) => boolean): Hop | undefined {
  if (!REDIRECTS.has(response.status)) return undefined;
  const location = response.headers.get("location");
  if (location === null) return undefined;
  const url = new URL(location, hop.url);
  const sent = new Headers(hop.headers);
  const headers = url.origin === hop.url.origin ? sent : withoutCredentials(sent, carriesSecret);
  const toGet =
    (response.status === 303 && hop.method !== "HEAD") ||
    ((response.status === 301 || response.status === 302) && hop.method === "POST");
  if (toGet) {
    for (const name of ["content-type", "content-length", "content-encoding", "content-language"]) {
      headers.delete(name);
    }
    return { url, method: "GET", headers, body: undefined };
  }
  if (hop.body instanceof ReadableStream) {
    throw new TypeError("A redirect asked to resend a streamed request body; it cannot be replayed.");
  }
  return { ...hop, url, headers };
}

/** Sends one hop of a request (`redirect: "manual"`), to `url`. */
export type HopSender = (url: URL, request: RequestInit) => Promise<Response>;

/** The request sent for `hop`: the caller's options, the hop's method, headers and body, redirects manual. */
function hopRequest(hop: Hop, init: RequestInit): RequestInit {
  return {
    ...init,
    method: hop.method,
    ...(hop.headers !== undefined ? { headers: hop.headers } : {}),
    body: hop.body ?? null,
    redirect: "manual",
    // why: a Request's body is a stream (e.g. the Mistral SDK passes a Request); fetch needs this for one.
    ...(hop.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit;
}

/**
 * A `fetch` that sends each hop with `send` and follows redirects itself, dropping the
 * credential headers (by name, and those for which `carriesSecret` holds) on a hop to another
 * origin. The caller's `redirect: "manual"` or `"error"` is honoured.
 */
export function redirectingFetch(
  send: HopSender,
  carriesSecret: (value: string) => boolean,
): typeof globalThis.fetch {
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let hop = firstHop(input, init);
    for (let redirects = 0; ; redirects++) {
      const response = await send(hop.url, hopRequest(hop, init));
      if (init.redirect === "manual" || init.redirect === "error") {
        if (init.redirect === "error" && REDIRECTS.has(response.status)) {
          throw new TypeError("The server answered with a redirect, and redirects are not allowed.");
        }
        return response;
      }
      const next = nextHop(hop, response, carriesSecret);
      if (!next) return response;
      if (redirects >= MAX_REDIRECTS) throw new TypeError(`More than ${MAX_REDIRECTS} redirects.`);
      await response.body?.cancel();
      hop = next;
    }
  };
  return fetch as typeof globalThis.fetch;
}

/** Builds the connector's `fetch`. The guard's dispatcher is created on the first guarded request. */
export function connectorFetch(options: ConnectorFetchOptions): ConnectorFetch {
  let guarded: Promise<GuardedFetch> | undefined;
  const guardedSend = async (url: URL, request: RequestInit): Promise<Response> => {
    guarded ??= guardedFetch(options.policy);
    return (await guarded).fetch(url, request);
  };
  const send: HopSender = (url, request) =>
    options.trustedOrigins.has(url.origin)
      ? (options.fetch ?? globalThis.fetch)(url, request)
      : guardedSend(url, request);
  return {
    fetch: redirectingFetch(send, options.carriesSecret),
    close: async () => {
      const pending = guarded;
      guarded = undefined;
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}

/** A connector's base URL, its `fetch`, and the egress check for its base URL. */
export interface ConnectorEgress extends ConnectorFetch {
  /** The API base URL: the operator's, else the tenant's (from the connection's data), else the default. */
  readonly baseURL: string | undefined;
  /**
   * Rejects with `EgressBlockedError` when the base URL came from tenant data and is not allowed;
   * undefined when there is nothing to check (the operator's or the provider's base URL, or a
   * brokered connector, whose `fetch` decides), so a call waits on nothing.
   */
  preflight(): Promise<void> | undefined;
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Picks the base URL and builds the connector's `fetch`. `tenantBaseURL` is a `baseURL` from the
 * connection's data; `operatorBaseURL` (from code) and `defaultBaseURL` (the provider's) are trusted.
 */
export function connectorEgress(input: {
  readonly operatorBaseURL: string | undefined;
  readonly tenantBaseURL: string | undefined;
  readonly defaultBaseURL: string | undefined;
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly egress: EgressOptions | undefined;
  readonly carriesSecret: (value: string) => boolean;
  /**
   * `fetch` is handed to the SDK as it is: it decides where each request may go and follows
   * redirects itself (a brokered connector's, built with `redirectingFetch`). @default false
   */
  readonly fetchDecides?: boolean;
}): ConnectorEgress {
  const trustedOrigins = new Set(
    [originOf(input.operatorBaseURL), originOf(input.defaultBaseURL)].filter(
      (origin): origin is string => origin !== undefined && origin !== "null",
    ),
  );
  const baseURL = input.operatorBaseURL ?? input.tenantBaseURL ?? input.defaultBaseURL;
  if (input.operatorBaseURL === undefined && input.tenantBaseURL !== undefined) {
    const origin = originOf(input.tenantBaseURL);
    if (origin === undefined || !/^https?:\/\//i.test(input.tenantBaseURL)) {
      throw new ValidationError("The baseURL setting must be an http:// or https:// URL.", "baseURL");
    }
  }
  const policy = new EgressPolicy(input.egress);
  const checked = baseURL !== undefined && !trustedOrigins.has(originOf(baseURL) ?? "");
  const sending: ConnectorFetch =
    input.fetchDecides && input.fetch
      ? { fetch: input.fetch, close: async () => {} }
      : connectorFetch({ trustedOrigins, fetch: input.fetch, policy, carriesSecret: input.carriesSecret });
  return {
    ...sending,
    baseURL,
    preflight: () => (checked && !input.fetchDecides ? policy.check(baseURL) : undefined),
  };
}
