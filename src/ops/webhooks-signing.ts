/**
 * Standard Webhooks signing and verification (https://www.standardwebhooks.com), on the
 * maintained `standardwebhooks` package (an optional peer, loaded on first use): headers
 * `webhook-id`, `webhook-timestamp` (epoch seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), with a `whsec_<base64>` secret.
 */
import { randomBytes } from "node:crypto";
import { AuthError, ConfigurationError } from "../core/errors.js";
import { importOptional, type LibOption } from "../core/import-optional.js";
import type { CredkitEvent } from "./events.js";

/** The `standardwebhooks` module. */
export type StandardWebhooksModule = typeof import("standardwebhooks");

/** The body credkit sends: the Standard Webhooks payload shape. */
export interface WebhookPayload {
  /** The event type, e.g. `connection.recovered`. */
  readonly type: CredkitEvent["type"];
  /** When the event happened, ISO 8601. */
  readonly timestamp: string;
  /** The event itself. */
  readonly data: CredkitEvent;
}

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** Loads `standardwebhooks`, or takes the module given as `lib`. */
export function loadStandardWebhooks(
  lib?: LibOption<StandardWebhooksModule>,
): Promise<StandardWebhooksModule> {
  return importOptional("standardwebhooks", "webhook signing", () => import("standardwebhooks"), lib);
}

/**
 * Checks a signing secret: `whsec_` and the base64 of 24 to 64 random bytes. `ConfigurationError`
 * names the option, never the value.
 */
export function checkWebhookSecret(secret: unknown, option = "secret"): string {
  const match = typeof secret === "string" ? SECRET.exec(secret) : null;
  const bytes = match ? Buffer.from(match[1] as string, "base64").length : 0;
  if (bytes < 24 || bytes > 64) {
    throw new ConfigurationError(
      `${option} must be "whsec_" followed by the base64 of 24 to 64 random bytes (see generateWebhookSecret()).`,
    );
  }
  return secret as string;
}

/** A new signing secret: `whsec_` and the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** Request headers as a fetch `Headers`, Node's `IncomingHttpHeaders` or a plain record. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const entries =
    typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function"
      ? [...(headers as Headers).entries()]
      : Object.entries(headers as Record<string, string | readonly string[] | undefined>);
  const plain: Record<string, string> = {};
  for (const [name, value] of entries) {
    const text = Array.isArray(value) ? value.join(" ") : value;
    if (typeof text === "string") plain[name.toLowerCase()] = text;
  }
  return plain;
}

/** Options of `verifyWebhook`. */
export interface VerifyWebhookOptions {
  /** The `standardwebhooks` module, when it cannot be imported (bundlers, tests). */
  lib?: LibOption<StandardWebhooksModule>;
}

/**
 * For receivers: checks a delivery's signature and timestamp (at most 5 minutes off) against the
 * raw body exactly as received, and returns the parsed payload. A delivery that does not verify
 * is `AuthError` (code `auth`); answer it with 401 and drop it. Deduplicate on `webhook-id`
 * (`payload.data.id`): a retried delivery keeps it.
 */
export async function verifyWebhook(
  body: string | Buffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookPayload> {
  const { Webhook } = await loadStandardWebhooks(options.lib);
  try {
    return new Webhook(checkWebhookSecret(secret)).verify(body, plainHeaders(headers)) as WebhookPayload;
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 100) : "invalid";
    throw new AuthError(`Webhook verification failed: ${reason}.`, { source: "webhook" });
  }
}
