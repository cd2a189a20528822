/**
 * The admin tests' harness: a credential manager, the router with the admin page mounted under
 * `/credkit`, a cookie-session `authenticate` hook (the case CSRF protection is for) and the
 * router behind the `node:http` adapter on 127.0.0.1; connectors reach a loopback OpenAI stand-in.
 * Every answer the router sends is recorded in `transcript`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { adminPage, createRouter, toNodeHandler } from "../../src/http/index.js";
import { keyring } from "../support/fixtures.js";

export const PREFIX = "/credkit";

/** The session cookie that authenticates as `tenantId`. */
export function sessionCookie(tenantId: string): string {
  return `session=${tenantId}`;
}

/** Reads the session cookie: the tenant it names, or null (401). */
export function cookieAuthenticate(request: Request) {
  const match = /(?:^|;\s*)session=([A-Za-z0-9_-]+)/.exec(request.headers.get("cookie") ?? "");
  return match ? { tenantId: match[1]!, actor: `operator-of-${match[1]}` } : null;
}

/** A response's JSON body, typed by the caller. */
export async function jsonOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Every answer the router gave (status, headers, body), for leak checks. */
export const transcript: string[] = [];

/** The admin page's router on 127.0.0.1. */
export interface AdminServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly credentials: CredentialManager;
  close(): Promise<void>;
}

/** Starts the router with the admin page; `providerUrl` is the OpenAI stand-in's base URL. */
export async function startAdminServer(providerUrl: string): Promise<AdminServer> {
  const credentials = new CredentialManager({
    backend: memoryBackend({ env: {} }),
    encryption: keyring(),
    cache: false,
  });
  const router = createRouter({
    credentials,
    connections: memoryConnectionStore(),
    authenticate: cookieAuthenticate,
    prefix: PREFIX,
    mounts: [adminPage()],
    connectorOptions: { baseURL: `${providerUrl}/v1`, maxRetries: 0 },
  });
  const recording = {
    async fetch(request: Request): Promise<Response> {
      const response = await router.fetch(request);
      const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
      transcript.push(
        `${response.status} ${request.method} ${request.url}\n${headers}\n${await response.clone().text()}`,
      );
      return response;
    },
  };
  const server: Server = createServer(toNodeHandler(recording));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    credentials,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
