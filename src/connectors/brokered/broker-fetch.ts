/**
 * The `fetch` a brokered connector hands its SDK. The SDK holds a placeholder key; at send time
 * this fetch reads the real one from the credential manager (its cache) and sets the provider's
 * auth header by the rule in the connector's spec. Nothing here keeps the key between calls:
 * the closure holds the manager and the reference, and the key lives in local variables of one
 * call. Only the provider's origins are reachable; every request is audited; a 401 re-reads the
 * credential past the cache and, when it changed (rotated), retries once; error bodies are
 * scrubbed of the key; usage is metered when a meter is configured.
 */
import type { CredentialManager } from "../../core/credential-manager.js";
import { EgressBlockedError, ValidationError } from "../../core/errors.js";
import { Redactor } from "../../core/redact.js";
import type { Secret } from "../../core/secret.js";
import { redirectingFetch } from "../connector-fetch.js";
import { findField } from "../define.js";
import type { AuthHeaderSpec, ConnectorSpec } from "../types.js";
import type { CredentialReference, KeySource } from "./key-policy.js";
import type { Reservation, UsageMeter } from "./meter.js";
import { meteredResponse } from "./metered-response.js";
import { requestBounds } from "./usage.js";

/** What the SDK client holds instead of the key. */
export const BROKERED_PLACEHOLDER = "credkit-brokered-placeholder";

/** What a broker fetch needs. */
export interface BrokerFetchOptions {
  readonly manager: CredentialManager;
  readonly reference: CredentialReference;
  readonly keySource: KeySource;
  readonly spec: ConnectorSpec & { readonly auth: AuthHeaderSpec };
  /** Who calls, for the audit trail. */
  readonly accessor: string;
  /** The origins requests may go to. */
  readonly origins: ReadonlySet<string>;
  /** The `fetch` that sends. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  readonly meter?: UsageMeter;
}

/**
 * The secret field named by the auth rule, found by name or alias in the stored fields. Whether a
 * stored name is the auth field is worked out once per name, for the first 64 names seen (a
 * credential has a few fields; its names are tenant data, so the memo is bounded).
 */
function keyReader(spec: ConnectorSpec, field: string): (fields: Readonly<Record<string, Secret>>) => Secret {
  const isKeyField = new Map<string, boolean>();
  return (fields) => {
    for (const name of Object.keys(fields)) {
      let matches = isKeyField.get(name);
      if (matches === undefined) {
        matches = findField(spec, name)?.name === field;
        if (isKeyField.size < 64) isKeyField.set(name, matches);
      }
      if (matches) return fields[name] as Secret;
    }
    throw new ValidationError(
      `The stored credential has no "${field}" field for ${spec.displayName}.`,
      field,
    );
  };
}

/**
 * The headers to send: the SDK's, less every header carrying the placeholder (an SDK may put it
 * in a header of its own choosing: Anthropic 1.x sends `Authorization: Bearer`), plus the one
 * auth header the spec declares. One pass into a plain record (names lower-cased, as `Headers`
 * yields them), which `fetch` takes as it is: no `Headers` copy of the SDK's headers per call.
 */
function withKey(sdkHeaders: RequestInit["headers"], name: string, value: string): Record<string, string> {
  // why: no prototype, so a header named like `__proto__` is a header like any other.
  const headers: Record<string, string> = Object.create(null);
  const entries = sdkHeaders instanceof Headers ? sdkHeaders : new Headers(sdkHeaders);
  for (const [sdkName, sdkValue] of entries) {
    if (!sdkValue.includes(BROKERED_PLACEHOLDER)) headers[sdkName] = sdkValue;
  }
  headers[name] = value;
  return headers;
}

function replayable(body: RequestInit["body"]): boolean {
  return !(body instanceof ReadableStream);
}

/** A copy of an error response whose body and headers no longer carry the key. */
async function scrubbed(response: Response, key: Secret): Promise<Response> {
  const redactor = new Redactor([key]);
  const text = await response.text();
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.set(name, redactor.redact(value));
  return new Response(redactor.redact(text), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Builds the broker fetch for one brokered connector. */
export function brokerFetch(options: BrokerFetchOptions): typeof globalThis.fetch {
  const { manager, spec, accessor, keySource, origins } = options;
  const { tenantId, connectionId } = options.reference;
  const { header, prefix = "", field = "apiKey" } = spec.auth;
  const authHeader = header.toLowerCase();
  const send = options.fetch ?? globalThis.fetch;
  const { meter } = options;
  const usage = meter ? spec.usage : undefined;
  // the metered call's identity: the same for every call of this connector
  const call = { tenantId, connectionId, provider: spec.id, keySource };
  // why: one read options object for every call (and one for the re-read after a 401), not one per call.
  const cachedRead = { accessor };
  const freshRead = { accessor, forceRefresh: true };

  const keyOf = keyReader(spec, field);

  const audit = (url: URL, method: string, status: number, started: number, retried: boolean) =>
    manager.recordCall(tenantId, connectionId, accessor, {
      provider: spec.id,
      method,
      path: url.pathname,
      status,
      latencyMs: Math.round(performance.now() - started),
      keySource,
      ...(retried ? { retried } : {}),
    });

  /** One send with `key` on the request, audited. */
  const attempt = async (url: URL, method: string, init: RequestInit, key: Secret, retried: boolean) => {
    const headers = withKey(init.headers, authHeader, `${prefix}${key.reveal()}`);
    const started = performance.now();
    try {
      const response = await send(url, { ...init, headers });
      audit(url, method, response.status, started, retried);
      return response;
    } catch (error) {
      audit(url, method, 0, started, retried);
      throw error;
    }
  };

  /** After a 401: re-reads the credential past the cache and, when it changed (rotated), retries once. */
  const retryRotated = async (
    url: URL,
    method: string,
    init: RequestInit,
    key: Secret,
    response: Response,
  ) => {
    const fresh = keyOf(await manager.getCredentials(connectionId, tenantId, freshRead));
    if (fresh.reveal() === key.reveal()) return { key, response };
    await response.body?.cancel();
    return { key: fresh, response: await attempt(url, method, init, fresh, true) };
  };

  /** Sends with the key read now; error responses come back scrubbed of it. */
  const exchange = async (url: URL, method: string, init: RequestInit): Promise<Response> => {
    let key = keyOf(await manager.getCredentials(connectionId, tenantId, cachedRead));
    let response = await attempt(url, method, init, key, false);
    if (response.status === 401 && replayable(init.body)) {
      ({ key, response } = await retryRotated(url, method, init, key, response));
    }
    return response.status >= 400 ? scrubbed(response, key) : response;
  };

  /** One hop of a request (`redirectingFetch` follows redirects): host check, metering, exchange. */
  const hop = async (url: URL, request: RequestInit): Promise<Response> => {
    const method = request.method as string;
    if (!origins.has(url.origin)) {
      audit(url, method, 0, performance.now(), false);
      throw new EgressBlockedError(
        `A brokered ${spec.displayName} call may only go to the provider's hosts (${[...origins].join(", ")}), not to ${url.origin}; it was not sent. An operator can add hosts with the broker option \`hosts\`.`,
        { source: spec.id },
      );
    }
    if (!meter || usage === undefined) return exchange(url, method, request);
    let reservation: Reservation;
    try {
      reservation = await meter.reserve(call, requestBounds(usage, url, request.body));
    } catch (error) {
      audit(url, method, 0, performance.now(), false);
      throw error;
    }
    try {
      const response = await exchange(url, method, request);
      if (!response.ok) {
        reservation.release();
        return response;
      }
      return meteredResponse(response, reservation, usage);
    } catch (error) {
      reservation.release();
      throw error;
    }
  };
  // why: the SDK's headers carry the placeholder, never the key (it goes on each hop's copy).
  return redirectingFetch(hop, (value) => value.includes(BROKERED_PLACEHOLDER));
}
