/**
 * One mapping from KV failures (REST statuses and error codes, binding errors) to credkit's typed
 * errors, shared by both modes. The original failure becomes a scrubbed `cause`.
 */
import {
  AuthError,
  ConfigurationError,
  CredkitError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { KvFailure } from "./transport.js";

export const NAME = "cloudflare";
/** The error code of a missing key (404): the only failure that means absence. */
export const KEY_NOT_FOUND = 10009;

/** Cloudflare error codes with a meaning of their own (the rest follow the HTTP status). */
const CODES = {
  authentication: 10000,
  keyNotFound: KEY_NOT_FOUND,
  namespaceNotFound: 10013,
  tooManyRequests: 10022,
  invalidRequestHeaders: 6003,
  invalidAuthorizationHeader: 6111,
} as const;

const AUTH_CODES: ReadonlySet<number> = new Set([
  CODES.authentication,
  CODES.invalidRequestHeaders,
  CODES.invalidAuthorizationHeader,
]);

/** Maps anything a transport throws to a credkit error. */
export function classifyKvError(error: unknown, secrets: readonly string[]): CredkitError {
  if (CredkitError.isInstance(error)) return error;
  const options = { source: NAME, cause: scrubError(error, secrets) };
  if (!(error instanceof KvFailure)) {
    // why: fetch's TypeError, a reset socket, or a binding error without a status: the store was not reached.
    return new UnavailableError("Could not reach Cloudflare KV.", options);
  }
  const { status, code } = error;
  if (code === CODES.keyNotFound) return new NotFoundError("The KV key does not exist.", options);
  if (code === CODES.namespaceNotFound) {
    return new ConfigurationError(
      "The KV namespace does not exist in this account; check CLOUDFLARE_KV_NAMESPACE_ID and CLOUDFLARE_ACCOUNT_ID.",
      { missing: ["CLOUDFLARE_KV_NAMESPACE_ID"] },
      options,
    );
  }
  if (status === 401 || status === 403 || (code !== undefined && AUTH_CODES.has(code))) {
    return new AuthError(
      "Cloudflare refused the API token; it needs Workers KV Storage read and write on this account (CLOUDFLARE_API_TOKEN).",
      options,
    );
  }
  if (status === 429 || code === CODES.tooManyRequests) {
    return new ThrottledError("Cloudflare KV is rate limiting requests.", options);
  }
  if (status !== undefined && status >= 500) {
    return new UnavailableError(`Cloudflare KV failed with HTTP ${status}.`, options);
  }
  if (status === 404) {
    return new ConfigurationError(
      "Cloudflare answered 404 without KV's key-not-found code; check the base URL and the account id.",
      { missing: ["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_ACCOUNT_ID"] },
      options,
    );
  }
  if (status === 413 || status === 414) {
    return new ValidationError(
      status === 414
        ? "The KV key is longer than 512 bytes."
        : "The value or its metadata is too large for KV.",
      status === 414 ? "key" : "value",
      options,
    );
  }
  return new ValidationError(
    `Cloudflare KV rejected the request (HTTP ${status ?? "?"}).`,
    undefined,
    options,
  );
}
