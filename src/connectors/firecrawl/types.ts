/** SDK-free types of the firecrawl connector: what `getConnector("firecrawl", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";

/** A scraped page: the formats asked for, plus metadata. */
export interface FirecrawlDocument {
  readonly url?: string | undefined;
  readonly markdown?: string | undefined;
  readonly html?: string | undefined;
  readonly rawHtml?: string | undefined;
  readonly links?: readonly string[] | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly [field: string]: unknown;
}

/** Options of `scrapeUrl`, passed to the SDK as they are. */
export interface ScrapeOptions {
  /** e.g. `["markdown", "html"]`. @default ["markdown"] (the API's default) */
  formats?: string[] | undefined;
  /** Leave out headers, navigation and footers. @default true (the API's default) */
  onlyMainContent?: boolean | undefined;
  /** Server-side time limit of the scrape, in milliseconds. */
  timeout?: number | undefined;
  readonly [option: string]: unknown;
}

/** Options of `crawl`. */
export interface CrawlOptions {
  /** Most pages to crawl. */
  limit?: number | undefined;
  /** Seconds between status polls. @default 2 */
  pollInterval?: number | undefined;
  readonly [option: string]: unknown;
}

/** A finished crawl. */
export interface CrawlResult {
  readonly status: string;
  readonly total?: number | undefined;
  readonly documents: readonly FirecrawlDocument[];
}

/** Options of `search`. */
export interface SearchOptions {
  /** Most results. */
  limit?: number | undefined;
  readonly [option: string]: unknown;
}

/** One web search result. */
export interface SearchResult {
  readonly url: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly markdown?: string | undefined;
}

export interface FirecrawlMethods {
  /** Scrapes one page. */
  scrapeUrl(url: string, options?: ScrapeOptions): Promise<FirecrawlDocument>;
  /** Crawls a site and waits for the crawl to finish. */
  crawl(url: string, options?: CrawlOptions): Promise<CrawlResult>;
  /** Searches the web. */
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
}

/**
 * The connector `getConnector("firecrawl", …)` returns. `client` is the SDK instance: a
 * `FirecrawlApp` with 1.x, a `Firecrawl` (v2 client) with 2.x and later.
 */
export type FirecrawlConnector = DefinedConnector<
  OptionalType<"@mendable/firecrawl-js:FirecrawlApp">,
  FirecrawlMethods
>;
