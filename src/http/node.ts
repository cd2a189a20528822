/**
 * `toNodeHandler`: the router as a `node:http` request listener, usable by `http.createServer`,
 * Express (`app.use(handler)`) and Fastify (through `@fastify/middie` or a wildcard route handing
 * over `request.raw` and `reply.raw`). Mount it before any body parser: it reads the body itself.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { ANSWER, type AnswersDirectly, knownBody, type TextAnswer } from "./known-bodies.js";

/** Anything with a web-standard `fetch(request)`, such as the router. */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>;
}

/** A `node:http` listener; the optional `next` is ignored (the router answers every request it is given). */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse, next?: unknown) => void;

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headersDistinct)) {
    for (const item of value ?? []) headers.append(name, item);
  }
  return headers;
}

/** The web `Request` for a node request. Express's `originalUrl` keeps the mount path. */
export function toWebRequest(request: IncomingMessage): Request {
  const path = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? "/";
  const method = request.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(new URL(path, "http://localhost"), {
    method,
    headers: headersOf(request),
    ...(hasBody ? { body: Readable.toWeb(request) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

/** An answer given before the body was read (413, 401…): close rather than drain the rest. */
function closeIfUnread(request: IncomingMessage, response: ServerResponse): void {
  if (!request.complete) response.setHeader("connection", "close");
}

function write(answer: TextAnswer, request: IncomingMessage, response: ServerResponse): void {
  closeIfUnread(request, response);
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body ?? undefined);
}

async function send(answer: Response, request: IncomingMessage, response: ServerResponse): Promise<void> {
  response.statusCode = answer.status;
  closeIfUnread(request, response);
  answer.headers.forEach((value, name) => {
    if (name !== "set-cookie") response.setHeader(name, value);
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length) response.setHeader("set-cookie", cookies);
  const known = knownBody(answer);
  if (known !== undefined) response.end(known);
  else response.end(answer.body ? Buffer.from(await answer.arrayBuffer()) : undefined);
}

/**
 * The router (or any fetch handler) as a `node:http` listener. The router's own answers are
 * written without building a `Response` (see `known-bodies.ts`).
 */
export function toNodeHandler(router: FetchHandler): NodeHandler {
  const answer: (request: Request) => Promise<Response | TextAnswer> =
    ANSWER in router
      ? (request) => (router as FetchHandler & AnswersDirectly)[ANSWER](request)
      : (request) => router.fetch(request);
  return (request, response) => {
    answer(toWebRequest(request))
      .then((answered) =>
        answered instanceof Response ? send(answered, request, response) : write(answered, request, response),
      )
      .catch(() => {
        if (!response.headersSent) response.statusCode = 500;
        response.end();
      });
  };
}
