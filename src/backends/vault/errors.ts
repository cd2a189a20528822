/**
 * How Vault's answers become credkit errors. node-vault rejects every status other than 200 and
 * 204 with an `ApiResponseError` carrying `response.statusCode` and the body; transport failures
 * (refused, reset, timed out) arrive as axios errors with a `code`.
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

export const NAME = "vault";

/** Vault's CAS failure message (`path_data.go`, `validateCheckAndSetOption`). */
const CAS_MISMATCH = "check-and-set parameter did not match";

/** The HTTP status of a Vault API error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const response = (error as { response?: { statusCode?: unknown } }).response;
  return typeof response?.statusCode === "number" ? response.statusCode : undefined;
}

/** The body of a Vault API error, if it is one. */
export function bodyOf(error: unknown): unknown {
  if (statusOf(error) === undefined) return undefined;
  return (error as { response: { body?: unknown } }).response.body;
}

/** True for Vault's 400 "check-and-set parameter did not match the current version". */
export function isCasMismatch(error: unknown): boolean {
  return statusOf(error) === 400 && error instanceof Error && error.message.includes(CAS_MISMATCH);
}

/** True when Vault answered 403 (bad, expired or revoked token, or no policy for the path). */
export function isPermissionDenied(error: unknown): boolean {
  return statusOf(error) === 403;
}

/** Node's codes for a server certificate that does not verify (untrusted, expired, wrong host). */
const CERTIFICATE_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|ERR_TLS_CERT_ALTNAME_INVALID)$/;

function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CERTIFICATE_CODES.test(code);
}

/**
 * Maps anything a Vault call throws to a credkit error. `what` names the operation and path
 * (never a value); `secrets` are the backend's own credentials, scrubbed from the cause.
 */
export function vaultError(error: unknown, what: string, secrets: readonly (string | undefined)[]): Error {
  if (CredkitError.isInstance(error)) return error;
  const options = { source: NAME, cause: scrubError(error, secrets) };
  const status = statusOf(error);
  if (status === undefined && isCertificateError(error)) {
    // why: a certificate Vault's CA bundle does not vouch for will not verify on a retry either.
    return new ConfigurationError(
      `Vault's TLS certificate could not be verified to ${what}; set tls.ca (VAULT_CACERT) to the CA that signed it.`,
      { missing: ["VAULT_CACERT"] },
      options,
    );
  }
  if (status === undefined) {
    // why: no HTTP answer at all: refused, reset, DNS, TLS or timed out. All worth a retry.
    return new UnavailableError(`Vault could not be reached to ${what}.`, options);
  }
  if (status === 401 || status === 403) {
    return new AuthError(
      `Vault denied the request to ${what} (${status}): the token is invalid, expired or revoked, or its policy does not grant this path.`,
      options,
    );
  }
  if (status === 404) return new NotFoundError(`Vault has nothing at the path to ${what}.`, options);
  if (status === 429) return new ThrottledError(`Vault rate-limited the request to ${what} (429).`, options);
  // why: 412 is a performance standby that has not caught up yet; 5xx is sealed, standby or failing.
  if (status === 412 || status >= 500) {
    return new UnavailableError(`Vault failed to ${what} (${status}).`, options);
  }
  return new ValidationError(`Vault rejected the request to ${what} (${status}).`, undefined, options);
}
