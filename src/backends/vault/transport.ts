/**
 * The HTTP transport of the node-vault client credkit builds: undici (`sendHttp`) in place of
 * node-vault's axios, cheaper per request. node-vault takes it as its
 * `request-promise` option: a module whose `defaults(...)` returns the function called per request
 * with `{ method, uri, headers, json, timeout }`, resolving to `{ statusCode, body, request }`.
 * TLS settings live in the agent. A standby's redirect to the active node (307, Vault's HA) is
 * followed here, with the token, except from https to plain http, which would send the token
 * unencrypted.
 */
import type { Dispatcher } from "undici";
import { ConfigurationError, UnavailableError } from "../../core/errors.js";
import { type HttpReply, loadUndici, sendHttp } from "../../kit/http-exchange.js";
import { NAME } from "./errors.js";
import type { VaultTlsOptions } from "./index.js";

/** The most redirects one request follows, as a standby's answer leads to the active node. */
const MAX_REDIRECTS = 5;
/** The redirects that keep the method and body: how a Vault standby points at the active node. */
const REDIRECTS = new Set([307, 308]);

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

/** An agent with the backend's TLS settings. */
export async function vaultAgent(tls: VaultTlsOptions): Promise<Dispatcher> {
  const { Agent } = await loadUndici();
  const connect = {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  };
  return new Agent({ connect });
}

/**
 * Where a redirect from `from` leads, or undefined when `reply` is not one to follow. A redirect
 * from https to anything else is refused: the request carries the Vault token.
 */
function redirectTarget(from: string, reply: HttpReply): string | undefined {
  const location = REDIRECTS.has(reply.status) ? reply.headers.location : undefined;
  if (location === undefined) return undefined;
  const target = new URL(location, from);
  if (new URL(from).protocol === "https:" && target.protocol !== "https:") {
    throw new ConfigurationError(
      `Vault redirected a request from https to ${target.protocol}//${target.host}; the token is not sent unencrypted. Give the active node an https api_addr.`,
      {},
      { source: NAME },
    );
  }
  return target.href;
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
    const exchange = {
      method: request.method,
      headers: json ? { ...request.headers, "content-type": "application/json" } : { ...request.headers },
      body: json ? JSON.stringify(json) : undefined,
      timeoutMs: request.timeout ?? timeoutMs,
      dispatcher,
    };
    let url = request.uri;
    for (let redirects = 0; ; redirects++) {
      const reply = await sendHttp({ ...exchange, url });
      const next = redirectTarget(url, reply);
      if (next === undefined) {
        return {
          statusCode: reply.status,
          body: bodyOf(reply.text),
          request: { path: new URL(url).pathname },
        };
      }
      if (redirects >= MAX_REDIRECTS) {
        throw new UnavailableError(`Vault redirected a request more than ${MAX_REDIRECTS} times.`, {
          source: NAME,
        });
      }
      url = next;
    }
  };
  return { defaults: () => send };
}
