/**
 * Firecrawl API on loopback, both API versions the SDK majors use: v1 (`firecrawl-js` 1.x) and
 * v2 (2.x and later): scrape, crawl (start + status), search and team credit usage, with
 * `Authorization: Bearer` auth and Firecrawl-shaped `{ success: false, error }` bodies.
 */
import { type LoopbackServer, presented, type Reply, startLoopback } from "./base.js";

export function firecrawlError(status: number, sent = ""): Reply {
  const messages: Record<number, string> = {
    401: `Unauthorized: Invalid token ${sent}`,
    402: "Payment required",
    403: `Forbidden for key ${sent}`,
    429: `Rate limit exceeded for key ${sent}`,
  };
  return {
    status,
    body: { success: false, error: messages[status] ?? `Internal server error (key ${sent})` },
  };
}

function page(url: string) {
  return { markdown: `# Page ${url}`, metadata: { title: "Example", sourceURL: url, statusCode: 200 } };
}

export async function startFirecrawlServer(options: {
  apiKey: string;
  echoKey?: boolean;
}): Promise<LoopbackServer> {
  const crawls = new Map<string, string>();
  return startLoopback(
    (request) =>
      presented(request, "authorization") === options.apiKey
        ? undefined
        : firecrawlError(401, options.echoKey ? (presented(request, "authorization") ?? "") : ""),
    (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const match = /^\/(v1|v2)\/(.+)$/.exec(request.path);
      if (!match) return undefined;
      const [, version, rest] = match;
      if (request.method === "POST" && rest === "scrape") {
        return { status: 200, body: { success: true, data: page(String(body.url)) } };
      }
      if (request.method === "GET" && rest === "team/credit-usage") {
        return {
          status: 200,
          body:
            version === "v1"
              ? { success: true, data: { remaining_credits: 4200 } }
              : { success: true, data: { remainingCredits: 4200, planCredits: 5000 } },
        };
      }
      if (request.method === "POST" && rest === "search") {
        const results = [
          { url: "https://example.com/a", title: `Result for ${body.query}`, description: "A result" },
        ];
        return { status: 200, body: { success: true, data: version === "v1" ? results : { web: results } } };
      }
      if (request.method === "POST" && rest === "crawl") {
        const id = `crawl-${crawls.size + 1}`;
        crawls.set(id, String(body.url));
        return { status: 200, body: { success: true, id, url: `${request.path}/${id}` } };
      }
      const status = /^crawl\/([^/]+)$/.exec(rest ?? "");
      if (request.method === "GET" && status) {
        const url = crawls.get(status[1] ?? "");
        if (!url) return { status: 404, body: { success: false, error: "Job not found" } };
        return {
          status: 200,
          body: {
            success: true,
            status: "completed",
            completed: 2,
            total: 2,
            creditsUsed: 2,
            expiresAt: "2030-01-01T00:00:00Z",
            data: [page(url), page(`${url}/about`)],
          },
        };
      }
      return undefined;
    },
  );
}
