/**
 * One webhook delivery attempt: sign, POST, classify the answer. Nothing here keeps or reports
 * the body, the URL or the secret: failures are described by HTTP status or error code only.
 */
import type { Clock } from "../core/clock.js";
import { ConfigurationError } from "../core/errors.js";
import type { CredkitEvent } from "./events.js";
import type { StandardWebhooksModule } from "./webhooks-signing.js";

/** How an attempt ended. */
export interface DeliveryAnswer {
  readonly ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why it failed: `HTTP 503`, an error code such as `ECONNREFUSED`, or `timeout`. */
  readonly error?: string;
  /** A `Retry-After` the receiver sent, ms. */
  readonly retryAfterMs?: number;
}

/** What one attempt needs. */
export interface DeliveryRequest {
  readonly url: URL;
  readonly item: { readonly event: CredkitEvent; readonly body: string };
  readonly fetch: typeof globalThis.fetch;
  readonly webhooks: StandardWebhooksModule;
  readonly secret: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

/** Checks a receiver URL: http(s), no credentials in it. `ConfigurationError` names no part of it. */
export function checkReceiverUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError("The webhook url is not a valid URL.");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigurationError("The webhook url must be http: or https:.");
  }
  if (parsed.username || parsed.password) {
    throw new ConfigurationError(
      "The webhook url must not contain a user name or password; deliveries are signed.",
    );
  }
  return parsed;
}

/** `Retry-After` in ms (seconds or an HTTP date), or undefined. */
function retryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A short, value-free description of a failed request. */
function failureCode(error: unknown): string {
  for (let link = error, depth = 0; link && depth < 5; depth++) {
    const { code, name } = link as { code?: unknown; name?: unknown };
    if (name === "TimeoutError" || name === "AbortError") return "timeout";
    if (typeof code === "string" && /^[A-Za-z0-9_]{2,40}$/.test(code)) return code;
    link = (link as { cause?: unknown }).cause;
  }
  return "network_error";
}

/** Signs and sends one delivery; never throws. */
export async function attemptDelivery(request: DeliveryRequest): Promise<DeliveryAnswer> {
  const { event, body } = request.item;
  try {
    const timestamp = new Date(request.clock.now());
    const signature = new request.webhooks.Webhook(request.secret).sign(event.id, timestamp, body);
    const response = await request.fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "credkit-webhooks",
        "webhook-id": event.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const wait = retryAfter(response.headers.get("retry-after"), request.clock.now());
    return {
      ok: false,
      status: response.status,
      error: `HTTP ${response.status}`,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    };
  } catch (error) {
    return { ok: false, error: failureCode(error) };
  }
}
