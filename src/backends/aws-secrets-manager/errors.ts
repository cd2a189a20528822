/**
 * What differs in Secrets Manager's failures. The SDK names each error after the service's
 * `__type` (`ResourceNotFoundException`, …) and most arrive as HTTP 400, so the code says which
 * rung of the shared ladder a failure stands on; a secret scheduled for deletion, KMS refusals
 * and policy or region problems are the store's own.
 */
import { AuthError, ConfigurationError, DeletedError } from "../../core/errors.js";
import { errorLadder, type LadderStep } from "../../kit/error-ladder.js";

export const NAME = "aws";

/** The service's error code of an SDK error (its `name`), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof name === "string" && name !== "Error") return name;
  return typeof code === "string" ? code : undefined;
}

/** True when a message says the secret is scheduled for deletion. */
export function saysMarkedForDeletion(message: string | undefined): boolean {
  return /marked (for deletion|deleted)|scheduled for deletion/i.test(message ?? "");
}

function messageOf(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : undefined;
}

/** The status each service error code stands for. */
const CODE_STATUS: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  ResourceExistsException: 409,
  AccessDeniedException: 403,
  UnrecognizedClientException: 401,
  InvalidSignatureException: 401,
  SignatureDoesNotMatch: 401,
  IncompleteSignature: 401,
  MissingAuthenticationToken: 401,
  MissingAuthenticationTokenException: 401,
  InvalidClientTokenId: 401,
  ExpiredToken: 401,
  ExpiredTokenException: 401,
  CredentialsProviderError: 401,
  TokenProviderError: 401,
  ThrottlingException: 429,
  Throttling: 429,
  TooManyRequestsException: 429,
  RequestLimitExceeded: 429,
  LimitExceededException: 429,
  InternalServiceError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  InvalidParameterException: 400,
  ValidationException: 400,
  InvalidRequestException: 400,
};

const POLICY_CODES = new Set([
  "PreconditionNotMetException",
  "MalformedPolicyDocumentException",
  "PublicPolicyException",
]);

function statusOf(error: unknown): number | undefined {
  const code = errorCode(error);
  const known = code === undefined ? undefined : CODE_STATUS[code];
  if (known !== undefined) return known;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

function override(error: unknown, { action, options }: LadderStep) {
  const code = errorCode(error);
  if (code === "InvalidRequestException" && saysMarkedForDeletion(messageOf(error))) {
    return new DeletedError(
      `Could not ${action}: the secret is scheduled for deletion; restore it or store it again.`,
      "scheduled_for_deletion",
      options,
    );
  }
  if (code === "DecryptionFailure" || code === "EncryptionFailure") {
    return new AuthError(
      `Could not ${action}: KMS refused the secret's key (${code}); check the KMS key policy.`,
      options,
    );
  }
  if (code !== undefined && POLICY_CODES.has(code)) {
    return new ConfigurationError(
      `Could not ${action}: AWS Secrets Manager refused the request (${code}).`,
      {},
      options,
    );
  }
  if (/region is missing/i.test(messageOf(error) ?? "")) {
    return new ConfigurationError(
      `Could not ${action}: no AWS region configured; set AWS_REGION or the region option.`,
      { missing: ["AWS_REGION"] },
      options,
    );
  }
  return undefined;
}

/** Maps anything a Secrets Manager call (or one `BatchGetSecretValue` item) threw to a credkit error. */
export const awsError = errorLadder({
  source: NAME,
  service: "AWS Secrets Manager",
  status: statusOf,
  override,
  authHint: "Check the IAM policy (docs/backends/aws-secrets-manager.md) and the AWS credentials.",
});
