/**
 * The HTTP tests' harness: the router served two ways — behind the `node:http` adapter on
 * 127.0.0.1 and through Hono's `app.fetch` — and driven with `fetch`. Every answer is recorded so
 * a test can search all of them for a planted key.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { toNodeHandler } from "../../src/http/index.js";
import { SDK_ENV } from "../connectors/support.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { keyring } from "../support/fixtures.js";

/** Where a router is reached and how to call it. */
export interface Served {
  /** Base URL including the prefix. */
  readonly base: string;
  /** `fetch` that reaches the router this way. */
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}

/** Every answer seen: status line, headers and body, for leak checks. */
export const transcript: string[] = [];

function recording(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const text = await response.clone().text();
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
    transcript.push(`${response.status}\n${headers}\n${text}`);
    return response;
  };
}

/** The router behind the node adapter on an ephemeral loopback port. */
export async function serveNode(
  router: { fetch(request: Request): Promise<Response> },
  prefix: string,
): Promise<Served> {
  const server = createServer(toNodeHandler(router));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${prefix}`,
    fetch: recording(globalThis.fetch),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The router mounted in a Hono app, called through `app.fetch`. */
export async function serveHono(
  router: { fetch(request: Request): Promise<Response> },
  prefix: string,
): Promise<Served> {
  const app = new Hono();
  app.all(`${prefix}/*`, (context) => router.fetch(context.req.raw));
  const base = `http://hono.test${prefix}`;
  return {
    base,
    fetch: recording(async (input, init) => app.fetch(new Request(input as string, init))),
    close: async () => undefined,
  };
}

/** Headers that make `authenticate` in the tests accept a tenant. */
export function as(tenantId: string): Record<string, string> {
  return { "x-test-tenant": tenantId };
}

/** The tests' authenticate hook: the tenant from a header; `forbidden` is refused with 403. */
export function testAuthenticate(request: Request) {
  const tenantId = request.headers.get("x-test-tenant");
  if (!tenantId) return null;
  if (tenantId === "forbidden") return { refuse: 403 as const };
  return { tenantId, actor: `user-of-${tenantId}` };
}

/**
 * Starts the OpenAI stand-in (accepting `apiKey`) for the file's tests, with the SDKs' environment
 * fallbacks cleared; afterwards checks that no recorded answer carried any of `secrets`.
 * Returns a getter for the running stand-in.
 */
export function openAIStandIn(
  apiKey: string,
  secrets: readonly string[],
  options: { echoKey?: boolean } = {},
): () => LoopbackServer {
  let provider: LoopbackServer | undefined;
  beforeAll(async () => {
    for (const name of SDK_ENV) vi.stubEnv(name, "");
    provider = await startOpenAIServer({ apiKey, ...options });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await provider?.close();
    // No answer of any test, body or header, carried a key.
    const all = transcript.join("\n");
    for (const secret of secrets) expect(all.includes(secret)).toBe(false);
  });
  return () => provider as LoopbackServer;
}

/** A credential manager on a fresh memory backend, uncached, with the test keyring. */
export function memoryManager(): CredentialManager {
  return new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring(), cache: false });
}
