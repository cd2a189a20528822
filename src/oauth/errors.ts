/**
 * Typed errors of the OAuth flows. Messages name the step and the OAuth error code the provider
 * sent (e.g. `invalid_grant`), never a token, a code, a verifier or a client secret; the
 * provider's `error_description` is left out because providers echo request values into it.
 */
import { CredkitError, type CredkitErrorOptions } from "../core/errors.js";

/** Why an OAuth step failed. Branch on this, not on messages. */
export type OAuthFailureReason =
  /** The callback's `state` matches no pending authorization (or the callback has none). */
  | "unknown_state"
  /** The pending authorization is past its expiry. */
  | "expired_state"
  /** The pending authorization was already completed (or is being completed) once. */
  | "reused_state"
  /** The callback has no `code`. */
  | "missing_code"
  /** The provider sent an error to the callback (`error=access_denied` and the like). */
  | "authorization_denied"
  /** The callback's `iss` is not the issuer the authorization was started with (RFC 9207). */
  | "issuer_mismatch"
  /** The token endpoint refused the exchange or answered something that does not verify. */
  | "token_error"
  /** The refresh token was refused and no other replica rotated it: the user must reconnect. */
  | "refresh_failed"
  /** The connection has no refresh token and its access token expired. */
  | "no_refresh_token"
  /** The provider's configuration or discovery document is unusable. */
  | "provider_configuration";

/** An OAuth step failed for a reason that retrying the same call will not fix. */
export class OAuthError extends CredkitError {
  readonly reason: OAuthFailureReason;
  /** The OAuth error code the provider sent (`access_denied`, `invalid_grant`, ...), if any. */
  readonly oauthError: string | undefined;

  constructor(
    reason: OAuthFailureReason,
    message: string,
    options: CredkitErrorOptions & { oauthError?: string } = {},
  ) {
    super("oauth", message, options);
    this.reason = reason;
    this.oauthError = options.oauthError;
  }

  static override isInstance(error: unknown): error is OAuthError {
    return CredkitError.isInstance(error) && error.code === "oauth";
  }
}

/** An OAuth error code as sent by a provider, kept only when it looks like one (`[a-z_]`). */
export function oauthErrorCode(value: unknown): string | undefined {
  return typeof value === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}
