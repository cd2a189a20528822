/**
 * What differs in Workers KV's failures, for both modes. A REST failure (or a binding error with a
 * status) is a `KvFailure` with the HTTP status and Cloudflare's error code; the code says which
 * rung of the shared ladder it stands on. Only code 10009 means a missing key: a bare 404 or a
 * missing namespace is configuration, and oversized keys or values name the field.
 */
import { ConfigurationError, ValidationError } from "../../core/errors.js";
import { errorLadder, type LadderStep } from "../../kit/error-ladder.js";
import { KvFailure } from "./transport.js";

export const NAME = "cloudflare";
/** The error code of a missing key (404): the only failure that means absence. */
export const KEY_NOT_FOUND = 10009;
const NAMESPACE_NOT_FOUND = 10013;

/** The status each Cloudflare error code stands for (the rest follow the HTTP status). */
const CODE_STATUS: ReadonlyMap<number, number> = new Map([
  [KEY_NOT_FOUND, 404],
  [10000, 403], // authentication error
  [6003, 403], // invalid request headers
  [6111, 403], // invalid Authorization header
  [10022, 429], // too many requests
]);

function statusOf(error: unknown): number | undefined {
  if (!(error instanceof KvFailure)) return undefined;
  return (error.code === undefined ? undefined : CODE_STATUS.get(error.code)) ?? error.status;
}

function override(error: unknown, { options }: LadderStep) {
  if (!(error instanceof KvFailure)) return undefined;
  const { status, code } = error;
  if (code === NAMESPACE_NOT_FOUND) {
    return new ConfigurationError(
      "The KV namespace does not exist in this account; check CLOUDFLARE_KV_NAMESPACE_ID and CLOUDFLARE_ACCOUNT_ID.",
      { missing: ["CLOUDFLARE_KV_NAMESPACE_ID"] },
      options,
    );
  }
  if (status === 404 && code !== KEY_NOT_FOUND) {
    return new ConfigurationError(
      "Cloudflare answered 404 without KV's key-not-found code; check the endpoint and the account id.",
      { missing: ["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_ACCOUNT_ID"] },
      options,
    );
  }
  if (status === 414) return new ValidationError("The KV key is longer than 512 bytes.", "key", options);
  if (status === 413)
    return new ValidationError("The value or its metadata is too large for KV.", "value", options);
  return undefined;
}

/** Maps anything a KV transport throws to a credkit error. */
export const kvError = errorLadder({
  source: NAME,
  service: "Cloudflare KV",
  status: statusOf,
  override,
  authHint: "The API token needs Workers KV Storage read and write on this account (CLOUDFLARE_API_TOKEN).",
});
