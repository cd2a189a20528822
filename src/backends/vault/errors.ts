/**
 * What differs in Vault's failures. node-vault rejects every status other than 200 and 204 with
 * an `ApiResponseError` carrying `response.statusCode` and the body; transport failures arrive
 * with a `code` and no status. On Vault a 412 is a performance standby that has not caught up
 * (transient, not a conflict), and a server certificate that does not verify is configuration.
 */
import { ConfigurationError, UnavailableError } from "../../core/errors.js";
import { errorLadder, isCertificateError, type LadderStep } from "../../kit/error-ladder.js";

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

function override(error: unknown, { action, status, options }: LadderStep) {
  if (status === undefined && isCertificateError(error)) {
    // why: a certificate Vault's CA bundle does not vouch for will not verify on a retry either.
    return new ConfigurationError(
      `Vault's TLS certificate could not be verified to ${action}; set tls.ca (VAULT_CACERT) to the CA that signed it.`,
      { missing: ["VAULT_CACERT"] },
      options,
    );
  }
  if (status === 412)
    return new UnavailableError(`Vault's standby has not caught up to ${action} (412).`, options);
  return undefined;
}

/**
 * Maps anything a Vault call throws to a credkit error. The action names the operation and path
 * (never a value); the scrubber holds the backend's own credentials.
 */
export const vaultError = errorLadder({
  source: NAME,
  service: "Vault",
  status: statusOf,
  override,
  authHint: "The token is invalid, expired or revoked, or its policy does not grant this path.",
});
