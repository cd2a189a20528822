/**
 * The HTTP transport of the node-vault client credkit builds: undici (`sendHttp`) in place of
 * node-vault's axios, cheaper per request. node-vault takes it as its
 * `request-promise` option: a module whose `defaults(...)` returns the function called per request
 * with `{ method, uri, headers, json, timeout }`, resolving to `{ statusCode, body, request }`.
 * TLS settings and redirects (Vault's standbys redirect to the active node) live in the agent.
 */
import type { Dispatcher } from "undici";
import { loadUndici, sendHttp } from "../../kit/http-exchange.js";
import type { VaultTlsOptions } from "./index.js";

/** The most redirects one request follows, as a standby's answer leads to the active node. */
const MAX_REDIRECTS = 5;

/** One request as node-vault hands it over. */
interface NodeVaultRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly uri: string;
  readonly headers?: Record<string, string> | undefined;
  /** A JSON body, or `true` (from the defaults) when there is none. */
  readonly json?: unknown;
  /** Milliseconds the request may wait (credkit passes each attempt's limit). */
  readonly timeout?: number | undefined;
}

/** The response node-vault reads. */
interface NodeVaultResponse {
  readonly statusCode: number;
  /** The parsed JSON body, or its text when it is not JSON. */
  readonly body: unknown;
  readonly request: { readonly path: string };
}

/** An agent with the backend's TLS settings that follows Vault's redirects. */
export async function vaultAgent(tls: VaultTlsOptions): Promise<Dispatcher> {
  const { Agent, interceptors } = await loadUndici();
  const connect = {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  };
  return new Agent({ connect }).compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
}

function bodyOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * node-vault's `request-promise` option over `dispatcher`; requests without a `timeout` of their
 * own wait at most `timeoutMs`. node-vault's defaults (from `VAULT_SKIP_VERIFY`, say) are ignored:
 * the agent's settings decide.
 */
export function requestPromiseOver(dispatcher: Dispatcher, timeoutMs: number) {
  const send = async (request: NodeVaultRequest): Promise<NodeVaultResponse> => {
    const json = typeof request.json === "object" && request.json !== null ? request.json : undefined;
    const reply = await sendHttp({
      url: request.uri,
      method: request.method,
      headers: json ? { ...request.headers, "content-type": "application/json" } : { ...request.headers },
      body: json ? JSON.stringify(json) : undefined,
      timeoutMs: request.timeout ?? timeoutMs,
      dispatcher,
    });
    return {
      statusCode: reply.status,
      body: bodyOf(reply.text),
      request: { path: new URL(request.uri).pathname },
    };
  };
  return { defaults: () => send };
}
