/**
 * Classifying what a provider SDK throws, whatever its shape: HTTP status (`status`,
 * `statusCode`, `response.status`, anywhere in the cause chain), or a transport failure
 * (refused, reset, DNS, timeout, abort). The classes map onto the test-connection messages
 * users see and onto credkit's typed errors.
 */
import {
  AuthError,
  CredkitError,
  EgressBlockedError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../core/errors.js";
import type { TestFailureCode } from "./types.js";

/** What went wrong, as far as a caller can act on it. */
export type FailureKind =
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "unreachable"
  | "not_found"
  | "invalid_request"
  | "provider_error"
  | "egress_blocked";

/** A classified failure. `status` is the provider's HTTP status when it answered. */
export interface Failure {
  readonly kind: FailureKind;
  readonly status?: number | undefined;
  /** The permission the provider refused, when known (e.g. `bigquery.jobs.create`). */
  readonly permission?: string | undefined;
  /** True when the request timed out (no answer in time). */
  readonly timedOut?: boolean | undefined;
}

const MAX_DEPTH = 8;
const TIMEOUT_PATTERN = /time(d)?[ -]?out/i;

function chain(error: unknown): Record<string, unknown>[] {
  const links: Record<string, unknown>[] = [];
  let current = error;
  while (typeof current === "object" && current !== null && links.length < MAX_DEPTH) {
    links.push(current as Record<string, unknown>);
    current = (current as { cause?: unknown }).cause;
  }
  return links;
}

function statusOf(link: Record<string, unknown>): number | undefined {
  for (const value of [link.status, link.statusCode, (link.response as { status?: unknown })?.status]) {
    if (typeof value === "number" && value >= 100 && value < 600) return value;
  }
  return undefined;
}

/**
 * The first credkit error in an error's cause chain, e.g. one a brokered connector's `fetch`
 * raised (budget, host refused) and the SDK wrapped in its own connection error.
 */
export function credkitCause(error: unknown): CredkitError | undefined {
  return chain(error).find((link) => CredkitError.isInstance(link)) as CredkitError | undefined;
}

/** Classifies an SDK error. Anything with no HTTP status anywhere is a transport failure. */
export function classifyFailure(error: unknown): Failure {
  const links = chain(error);
  if (links.some((link) => EgressBlockedError.isInstance(link))) return { kind: "egress_blocked" };
  const status = links.map(statusOf).find((value) => value !== undefined);
  const timedOut = links.some((link) => {
    const name = `${typeof link.name === "string" ? link.name : ""} ${link.constructor?.name ?? ""}`;
    const code = typeof link.code === "string" ? link.code : "";
    const message = typeof link.message === "string" ? link.message : "";
    return (
      /Timeout/.test(name) ||
      code === "ETIMEDOUT" ||
      code === "ECONNABORTED" ||
      code === "UND_ERR_CONNECT_TIMEOUT" ||
      TIMEOUT_PATTERN.test(message)
    );
  });
  if (status === undefined) return { kind: "unreachable", ...(timedOut ? { timedOut } : {}) };
  if (status === 401) return { kind: "unauthorized", status };
  if (status === 403) return { kind: "forbidden", status };
  if (status === 429) return { kind: "rate_limited", status };
  if (status === 404) return { kind: "not_found", status };
  if (status === 408 || status >= 500) return { kind: "unreachable", status };
  if (status >= 400) return { kind: "invalid_request", status };
  return { kind: "provider_error", status };
}

/** The test-connection message (e.g. "OpenAI API key is invalid or expired") and code of a failure. */
export function testFailureMessage(
  provider: string,
  failure: Failure,
): { code: TestFailureCode; error: string } {
  switch (failure.kind) {
    case "unauthorized":
      return { code: "unauthorized", error: `${provider} API key is invalid or expired` };
    case "forbidden":
      return {
        code: "forbidden",
        error: `Service account lacks required permissions${failure.permission ? `: ${failure.permission}` : ""}`,
      };
    case "rate_limited":
      return { code: "rate_limited", error: `${provider} rate limit exceeded during validation` };
    case "unreachable":
      return { code: "unreachable", error: `Unable to connect to ${provider}` };
    case "egress_blocked":
      return {
        code: "egress_blocked",
        error: `The ${provider} URL is not allowed: it points to a loopback, link-local, private or unique-local address`,
      };
    default:
      return {
        code: "provider_error",
        error: `${provider} rejected the validation request${failure.status ? ` (HTTP ${failure.status})` : ""}`,
      };
  }
}

/** The typed credkit error for a failed operation. `cause` must already be scrubbed. */
export function failureError(
  provider: string,
  source: string,
  operation: string,
  failure: Failure,
  cause: Error,
): CredkitError {
  const options = { source, cause };
  const http = failure.status ? ` (HTTP ${failure.status})` : "";
  const prefix = `${operation}: `;
  switch (failure.kind) {
    case "unauthorized":
      return new AuthError(`${prefix}${provider} API key is invalid or expired${http}.`, options);
    case "forbidden":
      return new AuthError(
        `${prefix}${provider} refused the request: the credential lacks the required permissions${failure.permission ? ` (${failure.permission})` : ""}${http}.`,
        options,
      );
    case "rate_limited":
      return new ThrottledError(`${prefix}${provider} rate limit exceeded${http}.`, options);
    case "unreachable":
      return new UnavailableError(
        `${prefix}Unable to connect to ${provider}${failure.timedOut ? " (timed out)" : http}.`,
        options,
      );
    case "egress_blocked":
      return new EgressBlockedError(
        `${prefix}the ${provider} URL from the connection's data points to a loopback, link-local, private or unique-local address.`,
        options,
      );
    case "not_found":
      return new NotFoundError(
        `${prefix}${provider} has no such resource${http}, e.g. an unknown model.`,
        options,
      );
    case "invalid_request":
      return new ValidationError(`${prefix}${provider} rejected the request${http}.`, undefined, options);
    default:
      return new UnavailableError(`${prefix}${provider} request failed${http}.`, options);
  }
}
