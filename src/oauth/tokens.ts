/**
 * A connection's tokens as stored: one `oauth` credential (access token, refresh token, expiry,
 * scopes, token type, issuer, provider), plus the refresh lease while a replica refreshes. Also
 * the one place token-endpoint answers are classified: transient (network, 5xx, 429) vs refused.
 */
import type * as oauth from "oauth4webapi";
import { CredkitError, ThrottledError, UnavailableError } from "../core/errors.js";
import type { Secret, SecretFields } from "../core/secret.js";
import { OAuthError, oauthErrorCode } from "./errors.js";

/** Token credential names of recent connections, so every read of one passes the same string. */
const names = new Map<string, string>();
const MAX_NAMES = 10_000;

/** The credential name of a connection's tokens, in the connection's tenant. */
export function tokenCredentialName(connectionId: string): string {
  // why: a fresh string is flattened and hashed again by every cache lookup; a kept one is not.
  let name = names.get(connectionId);
  if (name === undefined) {
    if (names.size >= MAX_NAMES) names.clear();
    name = `oauth-${connectionId}`;
    names.set(connectionId, name);
  }
  return name;
}

/** Tokens read from the store. */
export interface StoredTokens {
  readonly accessToken: Secret;
  readonly refreshToken: Secret | undefined;
  /** Expiry of the access token, epoch ms; undefined when the provider gave none. */
  readonly expiresAt: number | undefined;
  readonly provider: string;
  /** The refresh lease: which replica refreshes, until when (epoch ms). */
  readonly lease: { readonly owner: string; readonly until: number } | undefined;
  /** The stored fields as plain strings, to write them back. */
  readonly plain: Readonly<Record<string, string>>;
}

const LEASE_FIELDS = new Set(["leaseOwner", "leaseUntil"]);

/** Parsed expiries of cached field sets (a cache hit hands out the same object); NaN for none. */
const expiries = new WeakMap<SecretFields, number>();

/** The access token's expiry in stored fields, epoch ms; undefined when none (or unreadable). */
export function expiryOf(fields: SecretFields): number | undefined {
  let at = expiries.get(fields);
  if (at === undefined) {
    const text = fields.expiresAt?.reveal();
    at = text ? Date.parse(text) : Number.NaN;
    expiries.set(fields, at);
  }
  return Number.isFinite(at) ? at : undefined;
}

export function readTokens(fields: SecretFields): StoredTokens {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) plain[name] = value.reveal();
  const leaseUntil = plain.leaseUntil ? Number(plain.leaseUntil) : undefined;
  return {
    accessToken: fields.accessToken as Secret,
    refreshToken: fields.refreshToken,
    expiresAt: expiryOf(fields),
    provider: plain.provider ?? "",
    lease:
      plain.leaseOwner && leaseUntil !== undefined
        ? { owner: plain.leaseOwner, until: leaseUntil }
        : undefined,
    plain,
  };
}

/** The stored fields without the lease. */
export function withoutLease(tokens: StoredTokens): Record<string, string> {
  return Object.fromEntries(Object.entries(tokens.plain).filter(([name]) => !LEASE_FIELDS.has(name)));
}

/**
 * The fields to store from a token response. A refresh response without a refresh token (a
 * provider that does not rotate) keeps the previous one; without a scope, the previous scopes.
 */
export function tokenFields(
  response: oauth.TokenEndpointResponse,
  context: { issuer: string; provider: string; scopes: readonly string[]; previous?: StoredTokens },
  now = Date.now(),
): Record<string, string> {
  const refreshToken = response.refresh_token ?? context.previous?.plain.refreshToken;
  const scope = response.scope ?? context.previous?.plain.scope ?? context.scopes.join(" ");
  return {
    accessToken: response.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    ...(typeof response.expires_in === "number"
      ? { expiresAt: new Date(now + response.expires_in * 1000).toISOString() }
      : {}),
    tokenType: response.token_type,
    ...(scope ? { scope } : {}),
    issuer: context.issuer,
    provider: context.provider,
  };
}

/** An answer of the token endpoint that says the grant (code or refresh token) is refused. */
export function isInvalidGrant(error: unknown): boolean {
  return OAuthError.isInstance(error) && error.oauthError === "invalid_grant";
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Runs a token-endpoint call and its processing; maps every failure to a typed error with no
 * token, code or secret in it: network failure and 5xx → `UnavailableError`, 429 →
 * `ThrottledError` (both transient), an OAuth error answer → `OAuthError` with its code.
 */
export async function tokenCall(
  step: string,
  request: () => Promise<Response>,
  process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
): Promise<oauth.TokenEndpointResponse> {
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("ERR_") || code.startsWith("OAUTH_"))) {
      // oauth4webapi refused to send the request (bad arguments or configuration).
      throw new OAuthError("token_error", `The ${step} request could not be made (${code}).`, {
        source: "oauth",
      });
    }
    throw new UnavailableError(`The token endpoint could not be reached (${step}).`, {
      source: "oauth",
      cause: new Error(error instanceof Error ? error.name : "network error"),
    });
  }
  if (response.status === 429) {
    await response.body?.cancel();
    const wait = retryAfterMs(response);
    throw new ThrottledError(`The token endpoint is throttling (${step}).`, {
      source: "oauth",
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new UnavailableError(`The token endpoint answered HTTP ${response.status} (${step}).`, {
      source: "oauth",
    });
  }
  try {
    return await process(response);
  } catch (error) {
    if (CredkitError.isInstance(error)) throw error;
    const code = oauthErrorCode((error as { error?: unknown }).error);
    // why: oauth4webapi errors carry the response body as `cause`, which may hold tokens.
    const what = code
      ? `refused the ${step} with ${code}`
      : `answered the ${step} with something that does not verify`;
    throw new OAuthError("token_error", `The token endpoint ${what}.`, {
      source: "oauth",
      ...(code ? { oauthError: code } : {}),
      cause: new Error(code ?? (error instanceof Error ? error.message : "invalid response")),
    });
  }
}
