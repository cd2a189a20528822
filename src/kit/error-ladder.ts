/**
 * One ladder from a store's failure to credkit's typed errors, shared by every remote backend:
 *
 *   401, 403         → AuthError
 *   404              → NotFoundError (the caller decides what absence means for its operation)
 *   409, 412         → ConflictError
 *   429              → ThrottledError, with the `retryAfterMs` the service asked for
 *   408, 5xx         → UnavailableError
 *   other 4xx        → ValidationError
 *   no status, a connection error code (`NETWORK_ERROR_CODES`) or anything else → UnavailableError
 *
 * A store says how to read the status of its errors (an HTTP status, or the status its own codes
 * stand for) and adds overrides only for what really differs (a soft-deleted name, a certificate
 * that does not verify, a missing table). Every error keeps the original as a scrubbed `cause`.
 */
import {
  AuthError,
  ConflictError,
  CredkitError,
  type CredkitErrorOptions,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../core/errors.js";
import { Redactor } from "../core/redact.js";

/**
 * Codes (Node's `error.code`, undici's, gaxios') and names (`AbortError`, `TimeoutError`) of a
 * failure to reach a service at all: refused, reset, DNS, unreachable, timed out.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ABORT_ERR",
  "REQUEST_SEND_ERROR",
  "RequestTimeout",
  "TimeoutError",
  "AbortError",
]);

/** How deep `isNetworkError` follows `cause` chains. */
const MAX_CAUSE_DEPTH = 5;

/** True when the error (or one of its causes) is a failure to reach the service. */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== "object" || current === null) return false;
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
    if (typeof name === "string" && NETWORK_ERROR_CODES.has(name)) return true;
    if (cause === current) return false;
    current = cause;
  }
  return false;
}

/** Node's codes for a server certificate that does not verify (untrusted, expired, wrong host). */
const CERTIFICATE_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** True when a TLS server certificate did not verify: configuration, which a retry cannot fix. */
export function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CERTIFICATE_CODES.test(code);
}

/** What an override receives: the status read from the error, and the options every error takes. */
export interface LadderStep {
  /** What was being done, as a verb phrase ("read credential \"x\""), for messages. */
  readonly action: string;
  /** The status the store reads from the error, if any. */
  readonly status: number | undefined;
  /** `source`, the scrubbed `cause` and `retryAfterMs`, ready to pass to an error's constructor. */
  readonly options: CredkitErrorOptions;
}

/** A store's part of the ladder. */
export interface ErrorLadderSpec {
  /** The backend's name: every error's `source`. */
  readonly source: string;
  /** The service as messages name it, e.g. "Key Vault". */
  readonly service: string;
  /** The HTTP status the failure stands for (or the store's equivalent), if it has one. */
  status(error: unknown): number | undefined;
  /** How long the service asked us to wait (`Retry-After`), in milliseconds. */
  retryAfterMs?(error: unknown): number | undefined;
  /** Rules for what this store does differently; run first, `undefined` falls through to the ladder. */
  override?(error: unknown, step: LadderStep): CredkitError | undefined;
  /** A fix appended to the auth message, e.g. the role the identity needs. */
  readonly authHint?: string | undefined;
}

/** What scrubs a cause: a `Redactor` that knows the backend's own secrets, or those secrets. */
export type Scrubber = Redactor | Iterable<string | undefined>;

/** Maps anything a store call threw to a credkit error; credkit errors pass through unchanged. */
export type ErrorLadder = (error: unknown, action: string, scrub?: Scrubber) => CredkitError;

/** The common rungs, for a failure with status `status` (or none). */
function climb(spec: ErrorLadderSpec, error: unknown, step: LadderStep): CredkitError {
  const { action, status, options } = step;
  const service = spec.service;
  if (status === 401 || status === 403) {
    const hint = spec.authHint ? ` ${spec.authHint}` : "";
    return new AuthError(
      `${service} refused our credentials or permissions to ${action} (${status}).${hint}`,
      options,
    );
  }
  if (status === 404) return new NotFoundError(`${service} found nothing to ${action}.`, options);
  if (status === 409 || status === 412) {
    return new ConflictError(
      `${service} refused to ${action}: it changed concurrently (${status}).`,
      undefined,
      options,
    );
  }
  if (status === 429) return new ThrottledError(`${service} is throttling requests (${action}).`, options);
  if (status === 408 || (status !== undefined && status >= 500)) {
    return new UnavailableError(`${service} failed to ${action} (${status}).`, options);
  }
  if (status !== undefined && status >= 400) {
    return new ValidationError(
      `${service} rejected the request to ${action} (${status}).`,
      undefined,
      options,
    );
  }
  if (status === undefined && isNetworkError(error)) {
    return new UnavailableError(`Could not reach ${service} to ${action}.`, options);
  }
  return new UnavailableError(
    `${service} could not ${action}${status === undefined ? "" : ` (${status})`}.`,
    options,
  );
}

/** Builds a store's ladder from its part. */
export function errorLadder(spec: ErrorLadderSpec): ErrorLadder {
  return (error, action, scrub = []) => {
    if (CredkitError.isInstance(error)) return error;
    const redactor = scrub instanceof Redactor ? scrub : new Redactor(scrub);
    const asked = spec.retryAfterMs?.(error);
    const options: CredkitErrorOptions = {
      source: spec.source,
      cause: redactor.scrubError(error),
      ...(asked !== undefined ? { retryAfterMs: asked } : {}),
    };
    const step: LadderStep = { action, status: spec.status(error), options };
    return spec.override?.(error, step) ?? climb(spec, error, step);
  };
}

/** `Retry-After` (seconds or an HTTP date) as milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, factor = 1000): number | undefined {
  if (value === undefined || value === null || value.trim() === "") return undefined;
  const number = Number(value);
  if (Number.isFinite(number)) return Math.max(0, number * factor);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
