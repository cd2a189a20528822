/**
 * `http`: a generic authenticated client for any REST API, on the platform `fetch`. Applies the
 * credential to every request: a bearer token, basic auth, or an API key in a header or a query
 * parameter. Retries 429, 5xx and network failures of idempotent requests (GET, HEAD, PUT,
 * DELETE, OPTIONS) with exponential backoff. Redirects are not followed (a redirect could carry
 * the credential to another host): a 3xx answer is an error.
 */
import { ValidationError } from "../../core/errors.js";
import { type DefinedConnector, defineConnector } from "../define.js";
import type { ConnectorOptions } from "../types.js";
import { httpSpec } from "./spec.js";

/** Where the credential goes on each request. */
export type HttpAuth =
  /** `Authorization: Bearer <token>`. */
  | { readonly type: "bearer" }
  /** `Authorization: Basic base64(username:password)`. */
  | { readonly type: "basic" }
  /** The API key in a header. `name` @default "X-API-Key"; `prefix` is put before the key. */
  | { readonly type: "header"; readonly name?: string; readonly prefix?: string }
  /** The API key in a query parameter. `name` @default "api_key" */
  | { readonly type: "query"; readonly name?: string };

/** Options of the http connector. */
export interface HttpConnectorOptions extends ConnectorOptions<never> {
  /**
   * How to apply the credential.
   * @default bearer when a `token` is given, basic for `username` + `password`, else a `X-API-Key` header
   */
  auth?: HttpAuth | undefined;
  /** Headers sent with every request (the auth header cannot be overridden). */
  headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Path `testConnection()` calls with GET; any 2xx answer means the credential works.
   * @default "/"
   */
  testPath?: string | undefined;
}

/** One request. */
export interface HttpRequestInit {
  /** Query parameters, appended to the URL. */
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body (objects are serialised) or a string. */
  body?: unknown | undefined;
  /** Headers of this request (over `options.headers`; the auth header cannot be overridden). */
  headers?: Readonly<Record<string, string>> | undefined;
}

/** A 2xx answer. `data` is the parsed JSON body, or the text when it is not JSON. */
export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: T;
}

interface HttpMethods {
  /** Sends a request; a non-2xx answer throws the typed error for its status. */
  request<T = unknown>(method: string, path: string, init?: HttpRequestInit): Promise<HttpResponse<T>>;
  get<T = unknown>(path: string, init?: HttpRequestInit): Promise<HttpResponse<T>>;
  post<T = unknown>(path: string, body?: unknown, init?: HttpRequestInit): Promise<HttpResponse<T>>;
  put<T = unknown>(path: string, body?: unknown, init?: HttpRequestInit): Promise<HttpResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown, init?: HttpRequestInit): Promise<HttpResponse<T>>;
  delete<T = unknown>(path: string, init?: HttpRequestInit): Promise<HttpResponse<T>>;
}

/** A minimal client bound to the base URL, for `connector.client`. */
export interface HttpClient {
  readonly baseURL: string;
  /** Sends a request with the credential applied; returns the raw `Response`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** The connector `getConnector("http", …)` returns. */
export type HttpConnector = DefinedConnector<HttpClient, HttpMethods>;

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const DEFAULT_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A non-2xx answer, or a 2xx one whose JSON body does not parse. Carries the status only: the
 * body may echo the credential.
 */
class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    detail = "",
  ) {
    super(`${method} ${path} answered HTTP ${status}${detail}.`);
    this.name = "HttpStatusError";
  }
}

/** 429, 5xx and network failures are worth another attempt; any other answer is final. */
function retryable(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status === 429 || status >= 500 : true;
}

export const definition = defineConnector<"http", HttpClient, HttpMethods, never>({
  spec: httpSpec,
  async setup(context) {
    const options = context.options as HttpConnectorOptions;
    const base = context.baseURL;
    if (!base || !/^https?:\/\//i.test(base)) {
      throw new ValidationError("The http connector needs a baseURL (http:// or https://).", "baseURL");
    }
    const baseURL = base.replace(/\/+$/, "");
    const token = context.optionalSecret("token");
    const password = context.optionalSecret("password");
    const username = context.setting("username");
    const apiKey = context.optionalSecret("apiKey");
    const auth: HttpAuth =
      options.auth ??
      (token ? { type: "bearer" } : username && password ? { type: "basic" } : { type: "header" });
    const needed = { bearer: token, basic: username && password, header: apiKey, query: apiKey }[auth.type];
    if (!needed) {
      const fields = { bearer: "token", basic: "username and password", header: "apiKey", query: "apiKey" }[
        auth.type
      ];
      throw new ValidationError(
        `The http connector with ${auth.type} auth needs the ${fields} field.`,
        fields,
      );
    }
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    const maxRetries = options.maxRetries ?? DEFAULT_RETRIES;
    const { signal } = context;

    const authorize = (url: URL, headers: Headers): void => {
      if (auth.type === "bearer") headers.set("Authorization", `Bearer ${token?.reveal()}`);
      else if (auth.type === "basic") {
        const pair = Buffer.from(`${username}:${password?.reveal()}`, "utf8").toString("base64");
        headers.set("Authorization", `Basic ${pair}`);
      } else if (auth.type === "header") {
        headers.set(auth.name ?? "X-API-Key", `${auth.prefix ?? ""}${apiKey?.reveal()}`);
      } else url.searchParams.set(auth.name ?? "api_key", apiKey?.reveal() ?? "");
    };

    const send = (path: string, init: RequestInit = {}): Promise<Response> => {
      const url = new URL(`${baseURL}/${path.replace(/^\/+/, "")}`);
      const headers = new Headers(options.headers);
      for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
      authorize(url, headers);
      const signals = [signal, AbortSignal.timeout(timeout), ...(init.signal ? [init.signal] : [])];
      return context.fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.any(signals) });
    };

    const request = async <T>(
      method: string,
      path: string,
      init: HttpRequestInit = {},
    ): Promise<HttpResponse<T>> => {
      const verb = method.toUpperCase();
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(init.query ?? {})) {
        if (value !== undefined) query.set(name, String(value));
      }
      const target = query.size > 0 ? `${path}${path.includes("?") ? "&" : "?"}${query}` : path;
      const json = init.body !== undefined && typeof init.body !== "string";
      const headers = { ...(json ? { "Content-Type": "application/json" } : {}), ...init.headers };
      const body =
        init.body === undefined ? undefined : json ? JSON.stringify(init.body) : (init.body as string);
      const attempts = IDEMPOTENT.has(verb) ? maxRetries + 1 : 1;
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await send(target, {
            method: verb,
            headers,
            ...(body !== undefined ? { body } : {}),
          });
          if (response.status < 200 || response.status >= 300) {
            await response.body?.cancel();
            throw new HttpStatusError(response.status, verb, path);
          }
          const text = await response.text();
          let data: unknown = text;
          if ((response.headers.get("content-type") ?? "").includes("json") && text) {
            try {
              data = JSON.parse(text);
            } catch {
              // not retried, and JSON.parse's message (which quotes the body) is not kept
              throw new HttpStatusError(response.status, verb, path, " with a body that is not valid JSON");
            }
          }
          return { status: response.status, headers: Object.fromEntries(response.headers), data: data as T };
        } catch (error) {
          if (signal.aborted || attempt + 1 >= attempts || !retryable(error)) throw error;
          const delay = Math.random() * Math.min(2000, 100 * 2 ** attempt);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    };

    return {
      client: { baseURL, fetch: send },
      methods: {
        request,
        get: (path, init) => request("GET", path, init),
        post: (path, body, init) => request("POST", path, { ...init, body }),
        put: (path, body, init) => request("PUT", path, { ...init, body }),
        patch: (path, body, init) => request("PATCH", path, { ...init, body }),
        delete: (path, init) => request("DELETE", path, init),
      },
      async verify() {
        await request("GET", options.testPath ?? "/");
        return {};
      },
    };
  },
});

/** `getConnector("http", credentials, options)` without the registry. */
export const createHttpConnector = definition.create;
