/**
 * HTTP overhead: requests per second listing one tenant's 50 integrations (cached) through the
 * router on its defaults (the embedded file store, connections stored beside the credentials; the
 * node adapter, authenticate hook, routing, validation, the connection store, views, JSON)
 * against a bare `node:http` handler answering the same JSON, both on 127.0.0.1, measured with
 * autocannon for a bounded time each in one run, in alternating rounds. Target: the router keeps ≥ 0.5× the bare rate.
 *
 *   npm run build && tsx bench/http.ts
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { type Measurement, measurement, report, roundTo } from "./verdict.js";

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
/** Seconds per side in all, split over `ROUNDS` alternating rounds (bare, router, router, bare…). */
const DURATION_SECONDS = 8;
/** Alternating rounds, so a load change on the shared machine falls on both sides alike. */
const ROUNDS = 4;
const CONNECTIONS = 10;
const INTEGRATIONS = 50;

async function listen(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Requests answered in one round of `DURATION_SECONDS / ROUNDS` seconds. */
async function requestsInRound(url: string, headers: Record<string, string>): Promise<number> {
  const duration = DURATION_SECONDS / ROUNDS;
  const result = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors.`);
  return result.requests.total;
}

/** Requests per second of each URL over `ROUNDS` rounds in ABBA order. */
async function interleavedRates(urls: [string, string], headers: Record<string, string>) {
  const totals = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) totals[side]! += await requestsInRound(urls[side]!, headers);
  }
  return totals.map((total) => total / DURATION_SECONDS) as [number, number];
}

/** The measurement: router req/s over bare handler req/s. */
export async function httpListing(): Promise<Measurement[]> {
  const { createCredentialManager } = (await import(built("index.js"))) as typeof import("../src/index.js");
  const { createRouter, toNodeHandler } = (await import(
    built("http/index.js")
  )) as typeof import("../src/http/index.js");
  // The default a README user gets: the embedded file store, connections stored beside credentials.
  const directory = mkdtempSync(join(tmpdir(), "credkit-bench-http-"));
  const credentials = await createCredentialManager({
    env: { CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64") },
  });
  const router = createRouter({
    credentials,
    authenticate: (request) =>
      request.headers.get("x-tenant") === "acme" ? { tenantId: "acme", actor: "bench" } : null,
  });
  const headers = { "x-tenant": "acme" };
  for (let index = 0; index < INTEGRATIONS; index++) {
    const response = await router.fetch(
      new Request("http://bench/integrations", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({
          id: `integration-${String(index).padStart(2, "0")}`,
          connector: "openai",
          name: `Integration ${index}`,
          configuration: { model: "gpt-4o-mini" },
          secretsReferences: { apiKey: { secret_name: "openai-shared" } },
        }),
      }),
    );
    if (response.status !== 201) throw new Error(`setup answered ${response.status}`);
  }
  const listing = await (await router.fetch(new Request("http://bench/integrations", { headers }))).json();
  if ((listing as { integrations: unknown[] }).integrations.length !== INTEGRATIONS)
    throw new Error("listing is short");
  const bare = await listen((_request, response) => {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(listing));
  });
  const routed = await listen(toNodeHandler(router));
  try {
    const [bareRate, routerRate] = await interleavedRates(
      [`${bare.url}/integrations`, `${routed.url}/integrations`],
      headers,
    );
    return [
      measurement(
        `router req/s listing ${INTEGRATIONS} integrations / bare node:http handler`,
        routerRate / bareRate,
        "×",
        { atLeast: 0.5 },
        {
          routerRequestsPerSecond: roundTo(routerRate),
          bareRequestsPerSecond: roundTo(bareRate),
          durationSecondsEach: DURATION_SECONDS,
          rounds: ROUNDS,
          connections: CONNECTIONS,
        },
      ),
    ];
  } finally {
    bare.server.close();
    routed.server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) report("HTTP router", await httpListing());
