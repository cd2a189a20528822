/**
 * The request handler of the SecretsManagerClient credkit builds: undici (`sendHttp`) in place of
 * the SDK's `node:http` handler, cheaper per request. Secrets Manager speaks JSON over
 * `POST /`, so a request is a text body and no query. Each request is bounded by undici's own
 * timeouts; the call's abort signal is checked before each request (so no SDK retry starts once
 * the call has timed out) rather than listened to. It is left out when the caller brings a
 * `requestHandler` of their own.
 */
import type { SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";
import type { Dispatcher } from "undici";
import { sendHttp } from "../../kit/http-exchange.js";

/** The parts of the SDK's HttpRequest this handler reads. */
interface SdkHttpRequest {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  readonly query?: Record<string, unknown> | undefined;
  readonly body?: unknown;
}

/** Undici's failures, as the codes the SDK's retry strategy knows (it retries these). */
const RETRIED_AS: Readonly<Record<string, string>> = {
  UND_ERR_SOCKET: "ECONNRESET",
  UND_ERR_HEADERS_TIMEOUT: "ETIMEDOUT",
  UND_ERR_BODY_TIMEOUT: "ETIMEDOUT",
};

function urlOf(request: SdkHttpRequest): string {
  if (request.query && Object.keys(request.query).length > 0) {
    throw new TypeError("credkit's Secrets Manager request handler sends no query strings.");
  }
  const port = request.port ? `:${request.port}` : "";
  return `${request.protocol}//${request.hostname}${port}${request.path}`;
}

function bodyOf(request: SdkHttpRequest): string | Uint8Array | undefined {
  const { body } = request;
  if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return body;
  throw new TypeError("credkit's Secrets Manager request handler sends text bodies only.");
}

function retriable(error: unknown): unknown {
  const code = RETRIED_AS[(error as { code?: string } | null)?.code ?? ""];
  return code ? Object.assign(new Error((error as Error).message, { cause: error }), { code }) : error;
}

function abortError(): Error {
  return Object.assign(new Error("The request was aborted: the call ran out of time."), {
    name: "AbortError",
  });
}

/** A request handler over undici; each request waits at most `timeoutMs`. */
export function undiciRequestHandler(
  timeoutMs: number,
): NonNullable<SecretsManagerClientConfig["requestHandler"]> {
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: SdkHttpRequest, options: { abortSignal?: { aborted: boolean } } = {}) {
      if (options.abortSignal?.aborted) throw abortError();
      const reply = await sendHttp({
        url: urlOf(request),
        method: request.method,
        headers: request.headers,
        body: bodyOf(request),
        timeoutMs,
      }).catch((error: unknown) => {
        throw retriable(error);
      });
      return {
        response: { statusCode: reply.status, headers: reply.headers, body: Buffer.from(reply.text, "utf8") },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  return handler as unknown as NonNullable<SecretsManagerClientConfig["requestHandler"]>;
}
