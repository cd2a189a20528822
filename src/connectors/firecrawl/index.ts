/**
 * `firecrawl`: the official `@mendable/firecrawl-js`, imported on first use. Works with both
 * shapes of the SDK: 1.x (`FirecrawlApp`: `scrapeUrl`, `crawlUrl`, `search` on the v1 API) and
 * 2.x-4.x (`Firecrawl`: `scrape`, `crawl`, `search`, `getCreditUsage` on the v2 API). Results are
 * normalised to one shape. `testConnection()` reads the team's credit usage: the cheapest
 * authenticated call, free of charge.
 *
 * Options: `baseURL` → `apiUrl`; with 2.x+ `timeout` → `timeoutMs` and `maxRetries` → the
 * SDK's attempts (`maxRetries + 1`); 1.x (axios) takes neither. The connector also enforces
 * `timeout` on each single request itself (2.x+ overrides its own timeout on scrape); `fetch`
 * only applies to the 1.x credit-usage check (axios does the rest).
 */
import type FirecrawlApp from "@mendable/firecrawl-js";
import { UnsupportedError } from "../../core/errors.js";
import { defineConnector } from "../define.js";
import type { ConnectorOptions } from "../types.js";
import { firecrawlSpec } from "./spec.js";
import type { FirecrawlDocument, FirecrawlMethods } from "./types.js";

export type {
  CrawlOptions,
  CrawlResult,
  FirecrawlConnector,
  FirecrawlDocument,
  ScrapeOptions,
  SearchOptions,
  SearchResult,
} from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@mendable/firecrawl-js:FirecrawlApp": FirecrawlApp;
    }
  }
}

/** The `@mendable/firecrawl-js` module (for the `lib` option). */
export type FirecrawlModule = typeof import("@mendable/firecrawl-js");

/** Options of the firecrawl connector. */
export type FirecrawlConnectorOptions = ConnectorOptions<FirecrawlModule>;

type AnyRecord = Record<string, unknown>;
type Method = (...args: unknown[]) => Promise<unknown>;

/** An error carrying the HTTP status of a failed call made outside the SDK. */
class FirecrawlHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "FirecrawlHttpError";
  }
}

/** Rejects when `signal` aborts or `ms` passes, whichever comes first. */
function bounded<T>(promise: Promise<T>, signal: AbortSignal, ms: number | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    const timer =
      ms === undefined
        ? undefined
        : setTimeout(() => {
            const error = new Error(`Firecrawl request timed out after ${ms} ms.`);
            error.name = "TimeoutError";
            reject(error);
          }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/** Drops the v1 envelope fields (`success`, `warning`, `error`) from a document. */
function documentOf(value: unknown): FirecrawlDocument {
  const { success: _success, warning: _warning, error: _error, ...document } = (value ?? {}) as AnyRecord;
  return document;
}

/** v1 answers `{ success: false, error }` instead of throwing for some failures. */
function unwrapV1(value: unknown, action: string): AnyRecord {
  const record = (value ?? {}) as AnyRecord;
  if (record.success === false) {
    throw new FirecrawlHttpError(`Firecrawl could not ${action}.`, 502);
  }
  return record;
}

export const definition = defineConnector<"firecrawl", FirecrawlApp, FirecrawlMethods, FirecrawlModule>({
  spec: firecrawlSpec,
  async setup(context) {
    const module = (await context.load(
      "@mendable/firecrawl-js",
      () => import("@mendable/firecrawl-js"),
    )) as AnyRecord;
    const Client = (module.default ?? module.Firecrawl ?? module.FirecrawlApp) as new (
      config: AnyRecord,
    ) => AnyRecord;
    const { options, signal } = context;
    if (options.brokered) {
      // why: firecrawl-js sends through axios and takes no fetch, so a broker cannot put the key on
      // its requests: 1.x uses the module-wide axios, 4.x a per-client instance in a private field.
      throw new UnsupportedError(
        "The Firecrawl SDK sends its requests through axios and takes no fetch, adapter or HTTP client in any version (1.x uses the module-wide axios instance, 4.x a private per-client one), so it cannot be brokered; use a plain connector.",
        { source: "firecrawl" },
      );
    }
    const apiKey = context.secret("apiKey");
    const apiUrl = (options.baseURL ?? firecrawlSpec.baseURL).replace(/\/+$/, "");
    const v2 = typeof (Client.prototype as AnyRecord).scrape === "function";
    const client = new Client({
      apiKey: apiKey.reveal(),
      apiUrl,
      ...(v2 && options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(v2 && options.maxRetries !== undefined ? { maxRetries: options.maxRetries + 1 } : {}),
    });
    // why: 2.x+ sets its own per-request timeout on scrape (auto-resume), overriding `timeoutMs`,
    // so the connector bounds single requests itself; a crawl polls for long and is not bounded.
    const invoke = (name: string, ...args: unknown[]): Promise<unknown> =>
      bounded(
        (client[name] as Method).apply(client, args),
        signal,
        name === "crawl" || name === "crawlUrl" ? undefined : options.timeout,
      );

    const creditUsageV1 = async (): Promise<number | undefined> => {
      const response = await bounded(
        context.fetch(`${apiUrl}/v1/team/credit-usage`, {
          headers: { Authorization: `Bearer ${apiKey.reveal()}` },
          signal,
        }),
        signal,
        options.timeout,
      );
      if (!response.ok) {
        await response.body?.cancel();
        throw new FirecrawlHttpError(
          `Firecrawl credit usage check failed (HTTP ${response.status}).`,
          response.status,
        );
      }
      const body = (await response.json()) as { data?: { remaining_credits?: number } };
      return body.data?.remaining_credits;
    };

    return {
      client: client as unknown as FirecrawlApp,
      methods: {
        async scrapeUrl(url, scrape = {}) {
          if (v2) return documentOf(await invoke("scrape", url, scrape));
          return documentOf(unwrapV1(await invoke("scrapeUrl", url, scrape), "scrape the URL"));
        },
        async crawl(url, crawl = {}) {
          const { pollInterval = 2, ...params } = crawl;
          const job = v2
            ? ((await invoke("crawl", url, { ...params, pollInterval })) as AnyRecord)
            : unwrapV1(await invoke("crawlUrl", url, params, pollInterval), "crawl the site");
          return {
            status: String(job.status),
            ...(typeof job.total === "number" ? { total: job.total } : {}),
            documents: ((job.data as unknown[]) ?? []).map(documentOf),
          };
        },
        async search(query, search = {}) {
          const response = (await invoke("search", query, search)) as AnyRecord;
          const items = v2
            ? ((response.web as unknown[]) ?? [])
            : ((unwrapV1(response, "search").data as unknown[]) ?? []);
          return items.map((item) => {
            const { url, title, description, markdown } = item as AnyRecord;
            return {
              url: String(url),
              ...(typeof title === "string" ? { title } : {}),
              ...(typeof description === "string" ? { description } : {}),
              ...(typeof markdown === "string" ? { markdown } : {}),
            };
          });
        },
      },
      async verify() {
        if (v2) {
          const usage = (await invoke("getCreditUsage")) as { remainingCredits?: number };
          return typeof usage.remainingCredits === "number"
            ? { remainingCredits: usage.remainingCredits }
            : {};
        }
        const remainingCredits = await creditUsageV1();
        return typeof remainingCredits === "number" ? { remainingCredits } : {};
      },
    };
  },
});

/** `getConnector("firecrawl", credentials, options)` without the registry. */
export const createFirecrawlConnector = definition.create;
