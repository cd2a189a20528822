/**
 * The HTTP client of the `SecretClient` credkit builds: undici (`sendHttp`) in place of the SDK's
 * `node:http` client, cheaper per request. Key Vault's secret requests carry JSON text both ways,
 * which is all it sends. It is left out (the SDK's own client is used) when the caller configures
 * what only the SDK's client carries: an `httpClient`, a proxy (`proxyOptions` or the
 * `HTTPS_PROXY`/`HTTP_PROXY` variables the SDK reads), `tlsOptions` or an `agent`.
 */
import type { SecretClientOptions } from "@azure/keyvault-secrets";
import { sendHttp } from "../../kit/http-exchange.js";

type HttpClient = NonNullable<SecretClientOptions["httpClient"]>;
type PipelineRequest = Parameters<HttpClient["sendRequest"]>[0];
type PipelineResponse = Awaited<ReturnType<HttpClient["sendRequest"]>>;
type HttpHeaders = PipelineResponse["headers"];

/** The variables the SDK's proxy policy reads (either case). */
const PROXY_VARIABLES = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"];

/** Whether the SDK's own client is needed for `clientOptions` (see the module comment). */
export function needsSdkHttpClient(clientOptions: SecretClientOptions = {}): boolean {
  const configured = clientOptions as { agent?: unknown; tlsOptions?: unknown };
  return (
    clientOptions.httpClient !== undefined ||
    clientOptions.proxyOptions !== undefined ||
    configured.tlsOptions !== undefined ||
    configured.agent !== undefined ||
    PROXY_VARIABLES.some((name) => process.env[name])
  );
}

/** Response headers in the SDK's shape: names compared case-insensitively. */
class ResponseHeaders implements HttpHeaders {
  readonly #entries = new Map<string, { name: string; value: string }>();

  constructor(raw: Readonly<Record<string, string>>) {
    for (const [name, value] of Object.entries(raw)) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.#entries.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.#entries.has(name.toLowerCase());
  }

  set(name: string, value: string | number | boolean): void {
    this.#entries.set(name.toLowerCase(), { name, value: String(value) });
  }

  delete(name: string): void {
    this.#entries.delete(name.toLowerCase());
  }

  toJSON(options: { preserveCase?: boolean } = {}): Record<string, string> {
    const json: Record<string, string> = {};
    for (const [key, { name, value }] of this.#entries) json[options.preserveCase ? name : key] = value;
    return json;
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [key, { value }] of this.#entries) yield [key, value];
  }
}

/** A request body as text; anything else is not a Key Vault secret request. */
function textBody(request: PipelineRequest): string | undefined {
  if (request.body === undefined || request.body === null || typeof request.body === "string") {
    return request.body ?? undefined;
  }
  throw new TypeError(
    "credkit's Key Vault HTTP client sends text bodies only; pass clientOptions.httpClient for other requests.",
  );
}

/** An SDK `HttpClient` over undici; a request without a timeout of its own waits at most `timeoutMs`. */
export function undiciHttpClient(timeoutMs: number): HttpClient {
  return {
    async sendRequest(request) {
      const reply = await sendHttp({
        url: request.url,
        method: request.method,
        headers: request.headers.toJSON(),
        body: textBody(request),
        timeoutMs: request.timeout > 0 ? request.timeout : timeoutMs,
        signal: request.abortSignal as AbortSignal | undefined,
      });
      return {
        request,
        status: reply.status,
        headers: new ResponseHeaders(reply.headers),
        bodyAsText: reply.text,
      };
    },
  };
}
