/**
 * A tiny loopback HTTP server shared by the provider servers: records every request (method,
 * path, query, headers, JSON body) as it arrived on the wire, and injects faults (an error
 * status with a provider-shaped body, a hang, a reset connection) for the next N requests.
 */
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Fault = Reply | { readonly hang: true } | { readonly reset: true };

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The next `times` requests (after auth) get this fault instead of the normal answer. */
  fail(fault: Fault, times?: number): void;
  /** The next `times` requests get this fault before auth is even checked. */
  failAll(fault: Fault, times?: number): void;
  close(): Promise<void>;
}

export type Route = (request: RecordedRequest) => Reply | undefined;

function send(response: import("node:http").ServerResponse, reply: Reply): void {
  const body =
    reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    "content-type": typeof reply.body === "string" ? "text/plain" : "application/json",
    ...reply.headers,
  });
  response.end(body);
}

/**
 * Starts a server on 127.0.0.1, port 0. `authorize` returns undefined when the request carries
 * the right credential, else the provider's error reply; `route` answers authorized requests.
 */
export async function startLoopback(
  authorize: (request: RecordedRequest) => Reply | undefined,
  route: Route,
  /** Serve HTTPS with this certificate (for 127.0.0.1) and key instead of HTTP. */
  tls?: { readonly cert: string; readonly key: string },
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const faults: Array<{ fault: Fault; times: number; early: boolean }> = [];
  const take = (early: boolean): Fault | undefined => {
    const entry = faults.find((item) => item.early === early && item.times > 0);
    if (!entry) return undefined;
    entry.times--;
    return entry.fault;
  };
  const listener: RequestListener = (incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const url = new URL(incoming.url ?? "/", "http://loopback");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      const request: RecordedRequest = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body,
      };
      requests.push(request);
      const apply = (fault: Fault): void => {
        if ("hang" in fault) return;
        if ("reset" in fault) {
          incoming.socket.destroy();
          return;
        }
        send(response, fault);
      };
      const early = take(true);
      if (early) return apply(early);
      const denied = authorize(request);
      if (denied) return send(response, denied);
      const fault = take(false);
      if (fault) return apply(fault);
      send(
        response,
        route(request) ?? {
          status: 404,
          body: { error: { message: `No route ${request.method} ${request.path}` } },
        },
      );
    });
  };
  const server: Server = tls ? createTlsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    fail(fault, times = 1) {
      faults.push({ fault, times, early: false });
    },
    failAll(fault, times = 1) {
      faults.push({ fault, times, early: true });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server-sent-event stream answering in one body: each event's `data` as JSON, named when given. */
export function eventStream(
  events: ReadonlyArray<{ readonly event?: string; readonly data: unknown }>,
): Reply {
  const text = events
    .map(
      ({ event, data }) =>
        `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`,
    )
    .join("");
  return { status: 200, body: text, headers: { "content-type": "text/event-stream" } };
}

/** The credential a request presented in `header` (Bearer stripped), if any. */
export function presented(request: RecordedRequest, header: string): string | undefined {
  const value = request.headers[header.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.replace(/^Bearer\s+/i, "");
}

/** A port that refuses connections: bound, then closed. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
