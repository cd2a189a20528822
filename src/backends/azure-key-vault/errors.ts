/**
 * Key Vault failures as credkit errors, and the bounded retry loop every call goes through.
 *
 * The SDK's own retry policy honours `Retry-After` without any ceiling (a throttled vault can
 * ask for minutes), so clients built here have it turned off and this loop does the retrying:
 * 429 and 408/5xx are retried a bounded number of times, waiting what `Retry-After`
 * (`retry-after-ms`, `x-ms-retry-after-ms`) asks, capped at `maxDelayMs`, or an exponential
 * backoff with jitter when it says nothing; each attempt has its own timeout.
 */
import {
  AuthError,
  ConflictError,
  CredkitError,
  DeletedError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import { type RetryOptions, withRetry } from "../../core/retry.js";

export const SOURCE = "azure";

/** The parts of `RestError` (from `@azure/core-rest-pipeline`) this module reads. */
interface RestErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

function asRest(error: unknown): RestErrorLike | undefined {
  return typeof error === "object" && error !== null ? (error as RestErrorLike) : undefined;
}

/** The HTTP status of an SDK error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = asRest(error)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Key Vault's inner error code (e.g. `ObjectIsDeletedButRecoverable`), from the response body. */
export function innerCode(error: unknown): string | undefined {
  const body = asRest(error)?.response?.bodyAsText;
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { innererror?: { code?: unknown } } };
    const code = parsed.error?.innererror?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** True for the 409 Key Vault returns when writing a name that is deleted but recoverable. */
export function isDeletedButRecoverable(error: unknown): boolean {
  if (statusOf(error) !== 409) return false;
  const inner = innerCode(error);
  if (inner !== undefined) return inner === "ObjectIsDeletedButRecoverable";
  return /deleted but recoverable/i.test(asRest(error)?.message ?? "");
}

/** True for the 409 Key Vault returns while a delete or purge of the name is still running. */
export function isBeingDeleted(error: unknown): boolean {
  if (statusOf(error) !== 409) return false;
  return innerCode(error) === "ObjectIsBeingDeleted" || /being deleted/i.test(asRest(error)?.message ?? "");
}

/** True for a 403 on a disabled secret version. */
function isDisabled(error: unknown): boolean {
  if (statusOf(error) !== 403) return false;
  return innerCode(error) === "SecretDisabled" || /disabled secret/i.test(asRest(error)?.message ?? "");
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "REQUEST_SEND_ERROR",
  "UND_ERR_SOCKET",
]);

/** Milliseconds `Retry-After` (or its millisecond variants) asks for, if any. */
export function retryAfterMs(error: unknown): number | undefined {
  const headers = asRest(error)?.response?.headers;
  if (!headers || typeof headers.get !== "function") return undefined;
  for (const [name, factor] of [
    ["retry-after-ms", 1],
    ["x-ms-retry-after-ms", 1],
    ["retry-after", 1000],
  ] as const) {
    const value = headers.get(name);
    if (value === undefined || value === null || value === "") continue;
    const number = Number(value);
    if (Number.isFinite(number)) return Math.max(0, number * factor);
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

const deletedNameConflicts = new WeakSet<Error>();

/** True for the `ConflictError` made from a 409 `ObjectIsDeletedButRecoverable`. */
export function isDeletedNameConflict(error: unknown): boolean {
  return error instanceof Error && deletedNameConflicts.has(error);
}

/** Maps any error from the SDK or `@azure/identity` to a credkit error with a scrubbed cause. */
export function classify(error: unknown, redactor: Redactor, action: string): CredkitError {
  if (CredkitError.isInstance(error)) return error;
  const cause = redactor.scrubError(error);
  const asked = retryAfterMs(error);
  const options = { source: SOURCE, cause, ...(asked !== undefined ? { retryAfterMs: asked } : {}) };
  const rest = asRest(error);
  const status = statusOf(error);
  const name = rest?.name ?? "";
  if (name === "AbortError" || name === "TimeoutError") {
    return new UnavailableError(`Key Vault did not answer in time (${action}).`, options);
  }
  if (
    name === "CredentialUnavailableError" ||
    name === "AuthenticationError" ||
    name === "AggregateAuthenticationError"
  ) {
    return new AuthError(`Could not get an Azure token for Key Vault (${action}).`, options);
  }
  switch (true) {
    case status === 404:
      return new NotFoundError(`Key Vault has no such secret (${action}).`, options);
    case isDisabled(error):
      return new DeletedError(`The Key Vault secret version is disabled (${action}).`, "disabled", options);
    case status === 401 || status === 403:
      return new AuthError(
        `Key Vault refused our credentials (${status}, ${action}); the identity needs the "Key Vault Secrets Officer" role (or get/set/list/delete/recover/purge access policies).`,
        options,
      );
    case isDeletedButRecoverable(error): {
      const conflict = new ConflictError(
        `The Key Vault secret name is deleted but recoverable (${action}); restore or purge it first.`,
        undefined,
        options,
      );
      deletedNameConflicts.add(conflict);
      return conflict;
    }
    case isBeingDeleted(error):
      // why: a delete or purge is still running; the name frees up shortly, so retry.
      return new UnavailableError(`The Key Vault secret name is still being deleted (${action}).`, options);
    case status === 409:
      return new ConflictError(`Key Vault reported a conflict (${action}).`, undefined, options);
    case status === 429:
      return new ThrottledError(`Key Vault is throttling requests (${action}).`, options);
    case status === 408 || (status !== undefined && status >= 500):
      return new UnavailableError(`Key Vault failed with status ${status} (${action}).`, options);
    case status === 400:
      return new ValidationError(`Key Vault rejected the request (${action}).`, undefined, options);
    case status !== undefined:
      return new UnavailableError(`Key Vault answered with status ${status} (${action}).`, options);
    case NETWORK_CODES.has(String(rest?.code ?? "")) || name === "RestError":
      return new UnavailableError(`Could not reach Key Vault (${action}).`, options);
    default:
      return new UnavailableError(`Key Vault call failed unexpectedly (${action}).`, options);
  }
}

/**
 * Runs a Key Vault call under the core's retry policy: transient failures are retried after the
 * service's `Retry-After` (capped at `maxDelayMs`) or a jittered backoff, each attempt bounded.
 */
export function callWithRetry<T>(
  action: string,
  operation: (signal: AbortSignal) => Promise<T>,
  redactor: Redactor,
  retry: RetryOptions,
): Promise<T> {
  return withRetry(
    ({ signal }) => operation(signal),
    (error) => classify(error, redactor, action),
    retry,
  );
}
