/**
 * Secrets Manager errors → credkit's typed errors. The SDK names the error after the service's
 * `__type` (`ResourceNotFoundException`, …); throttling arrives unmodelled as
 * `SecretsManagerServiceException` with `name === "ThrottlingException"`; network failures carry
 * Node error codes. Every original error becomes a scrubbed `cause`.
 */
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  CredkitError,
  DeletedError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";

/** The service's error code of an SDK error (its `name`), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof name === "string" && name !== "Error") return name;
  return typeof code === "string" ? code : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

/** True when a message says the secret is scheduled for deletion. */
export function saysMarkedForDeletion(message: string | undefined): boolean {
  return /marked (for deletion|deleted)|scheduled for deletion/i.test(message ?? "");
}

const AUTH_CODES = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "MissingAuthenticationTokenException",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "CredentialsProviderError",
  "TokenProviderError",
]);
const THROTTLING_CODES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "LimitExceededException",
]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "TimeoutError",
  "RequestTimeout",
  "AbortError",
]);

/**
 * Maps one SDK error (or one `BatchGetSecretValue` item error) to a credkit error. `what` names
 * the operation for the message; `secrets` are our own credentials to scrub from the cause.
 */
export function mapAwsError(
  error: unknown,
  what: string,
  source: string,
  secrets: readonly (string | undefined)[],
): CredkitError {
  if (CredkitError.isInstance(error)) return error;
  const code = errorCode(error);
  const message = (error as { message?: unknown } | null)?.message;
  const status = httpStatus(error);
  const options = { source, cause: scrubError(error, secrets) };
  if (code === "ResourceNotFoundException")
    return new NotFoundError(`${what}: no such secret or version.`, options);
  if (code === "ResourceExistsException") {
    return new ConflictError(
      `${what}: the secret or version already exists (another writer got there first).`,
      undefined,
      options,
    );
  }
  if (
    code === "InvalidRequestException" &&
    saysMarkedForDeletion(typeof message === "string" ? message : undefined)
  ) {
    return new DeletedError(
      `${what}: the secret is scheduled for deletion; restore it or store it again.`,
      "scheduled_for_deletion",
      options,
    );
  }
  if (code !== undefined && AUTH_CODES.has(code)) {
    return new AuthError(
      `${what}: AWS refused our credentials or permissions (${code}). Check the IAM policy (docs/backends/aws-secrets-manager.md) and AWS credentials.`,
      options,
    );
  }
  if (code === "DecryptionFailure" || code === "EncryptionFailure") {
    return new AuthError(
      `${what}: KMS could not ${code === "DecryptionFailure" ? "decrypt" : "encrypt"} the secret (${code}); check the KMS key policy.`,
      options,
    );
  }
  if ((code !== undefined && THROTTLING_CODES.has(code)) || status === 429) {
    return new ThrottledError(
      `${what}: AWS Secrets Manager is throttling requests (${code ?? status}).`,
      options,
    );
  }
  if (
    code === "InternalServiceError" ||
    code === "InternalFailure" ||
    code === "ServiceUnavailable" ||
    (status !== undefined && status >= 500) ||
    (code !== undefined && NETWORK_CODES.has(code))
  ) {
    return new UnavailableError(`${what}: AWS Secrets Manager is unavailable (${code ?? status}).`, options);
  }
  if (
    code === "InvalidParameterException" ||
    code === "ValidationException" ||
    code === "InvalidRequestException"
  ) {
    return new ValidationError(
      `${what}: AWS Secrets Manager rejected the request (${code}).`,
      undefined,
      options,
    );
  }
  if (
    code === "PreconditionNotMetException" ||
    code === "MalformedPolicyDocumentException" ||
    code === "PublicPolicyException"
  ) {
    return new ConfigurationError(`${what}: AWS Secrets Manager refused the request (${code}).`, {}, options);
  }
  if (typeof message === "string" && /region is missing/i.test(message)) {
    return new ConfigurationError(
      `${what}: no AWS region configured; set AWS_REGION or the region option.`,
      { missing: ["AWS_REGION"] },
      options,
    );
  }
  if (status === undefined && code !== undefined && /^E[A-Z]+$/.test(code)) {
    return new UnavailableError(`${what}: could not reach AWS Secrets Manager (${code}).`, options);
  }
  return new UnavailableError(
    `${what}: AWS Secrets Manager call failed${code ? ` (${code})` : ""}.`,
    options,
  );
}
