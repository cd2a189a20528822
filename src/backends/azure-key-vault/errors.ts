/**
 * What differs in Key Vault's failures. The SDK raises `RestError`s with the HTTP status; Key
 * Vault's inner error code (`ObjectIsDeletedButRecoverable`, `ObjectIsBeingDeleted`,
 * `SecretDisabled`) is read from the structured error details the SDK attaches (`details`, or the
 * parsed body of older SDKs), never from the message text. `@azure/identity` failures (a wrong
 * client secret, no credential available) carry no status and are auth failures, not retried.
 */
import { AuthError, ConflictError, DeletedError, UnavailableError } from "../../core/errors.js";
import { errorLadder, type LadderStep, parseRetryAfter } from "../../kit/error-ladder.js";

export const SOURCE = "azure";

/** The parts of `RestError` (from `@azure/core-rest-pipeline`) this module reads. */
interface RestErrorLike {
  name?: string | undefined;
  statusCode?: number | undefined;
  details?: unknown | undefined;
  response?: {
    headers?: { get(name: string): string | undefined };
    bodyAsText?: string | null | undefined;
    parsedBody?: unknown | undefined;
  };
}

function asRest(error: unknown): RestErrorLike | undefined {
  return typeof error === "object" && error !== null ? (error as RestErrorLike) : undefined;
}

/** The HTTP status of an SDK error, if it has one. */
function statusOf(error: unknown): number | undefined {
  const status = asRest(error)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** `{ error: { innerError | innererror: { code } } }` → the inner code. */
function innerCodeIn(body: unknown): string | undefined {
  const error = (
    body as { error?: { innerError?: { code?: unknown }; innererror?: { code?: unknown } } } | null
  )?.error;
  const code = (error?.innerError ?? error?.innererror)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Key Vault's inner error code: from the error details the SDK deserialised (4.11: `details`),
 * else from the parsed or raw response body (older SDKs).
 */
function innerCode(error: unknown): string | undefined {
  const rest = asRest(error);
  const structured = innerCodeIn(rest?.details) ?? innerCodeIn(rest?.response?.parsedBody);
  if (structured !== undefined) return structured;
  const body = rest?.response?.bodyAsText;
  if (!body) return undefined;
  try {
    return innerCodeIn(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/** Failures of `@azure/identity`: no token could be had (a wrong secret, no credential at all). */
const IDENTITY_ERRORS = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
  "AuthenticationRequiredError",
]);

/** Milliseconds `Retry-After` (or its millisecond variants) asks for, if any. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = asRest(error)?.response?.headers;
  if (!headers || typeof headers.get !== "function") return undefined;
  return (
    parseRetryAfter(headers.get("retry-after-ms"), 1) ??
    parseRetryAfter(headers.get("x-ms-retry-after-ms"), 1) ??
    parseRetryAfter(headers.get("retry-after"))
  );
}

const deletedNameConflicts = new WeakSet<Error>();

/** True for the `ConflictError` made from a 409 `ObjectIsDeletedButRecoverable`. */
export function isDeletedNameConflict(error: unknown): boolean {
  return error instanceof Error && deletedNameConflicts.has(error);
}

function override(error: unknown, { action, status, options }: LadderStep) {
  if (IDENTITY_ERRORS.has(asRest(error)?.name ?? "")) {
    return new AuthError(
      `Could not get an Azure token for Key Vault to ${action}; check the client secret or the identity (AZURE_CLIENT_SECRET).`,
      options,
    );
  }
  const inner = innerCode(error);
  if (status === 403 && inner === "SecretDisabled") {
    return new DeletedError(`The Key Vault secret version is disabled (${action}).`, "disabled", options);
  }
  if (status === 409 && inner === "ObjectIsDeletedButRecoverable") {
    const conflict = new ConflictError(
      `The Key Vault secret name is deleted but recoverable (${action}); restore or purge it first.`,
      undefined,
      options,
    );
    deletedNameConflicts.add(conflict);
    return conflict;
  }
  if (status === 409 && inner === "ObjectIsBeingDeleted") {
    // why: a delete or purge is still running; the name frees up shortly, so retry.
    return new UnavailableError(`The Key Vault secret name is still being deleted (${action}).`, options);
  }
  return undefined;
}

/** Maps any error from the SDK or `@azure/identity` to a credkit error with a scrubbed cause. */
export const azureError = errorLadder({
  source: SOURCE,
  service: "Key Vault",
  status: statusOf,
  retryAfterMs,
  override,
  authHint:
    'The identity needs the "Key Vault Secrets Officer" role (or get/set/list/delete/recover/purge access policies).',
});
