import { apiKeyField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The firecrawl connector's catalog entry: pure data, loads no SDK. */
export const firecrawlSpec = {
  id: "firecrawl",
  displayName: "Firecrawl",
  category: "data_extraction",
  description: "Firecrawl web scraping: scrape a URL, crawl a site, search the web.",
  fields: [apiKeyField("^fc-[A-Za-z0-9_-]{16,}$", "fc-...", "Key from firecrawl.dev (fc-...).")],
  sdk: { package: "@mendable/firecrawl-js", versions: "^1 || ^2 || ^3 || ^4" },
  baseURL: "https://api.firecrawl.dev",
  verification: {
    method: "GET",
    path: "/v1/team/credit-usage (v2 clients: /v2/team/credit-usage)",
    description: "Reads the team's remaining credits: authenticated and free.",
  },
  docsUrl: "https://www.firecrawl.dev/app/api-keys",
  auth: { header: "authorization", prefix: "Bearer " },
  usage: { credits: ["creditsUsed", "data.metadata.creditsUsed"] },
} as const satisfies ConnectorSpec<"firecrawl">;
