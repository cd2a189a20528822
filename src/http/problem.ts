/**
 * Errors as RFC 9457 `application/problem+json`. Every problem carries a stable `code`: credkit's
 * error codes plus the HTTP layer's own; the status of each code comes from one table.
 * Details name fields, options and headers, never values.
 */
import { CredkitError, type CredkitErrorCode, ValidationError } from "../core/errors.js";

/** Codes of failures the HTTP layer itself detects. */
export type HttpProblemCode =
  | "unauthorized"
  | "forbidden"
  | "route_not_found"
  | "method_not_allowed"
  | "precondition_failed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "internal";

/** Every `code` a problem response can carry. */
export type ProblemCode = CredkitErrorCode | HttpProblemCode;

/** The one table of statuses: code → HTTP status. */
export const PROBLEM_STATUS: Readonly<Record<ProblemCode, number>> = {
  validation: 400,
  unknown_connector: 400,
  egress_blocked: 400,
  oauth: 400,
  unauthorized: 401,
  forbidden: 403,
  key_policy: 403,
  not_found: 404,
  deleted: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  expired: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  throttled: 429,
  budget_exceeded: 429,
  configuration: 500,
  dependency_missing: 500,
  integrity: 500,
  key_disabled: 500,
  internal: 500,
  unsupported: 501,
  auth: 502,
  unavailable: 503,
};

/** Titles, one per code: short and stable. */
const TITLES: Readonly<Record<ProblemCode, string>> = {
  validation: "Invalid request",
  unknown_connector: "Unknown connector",
  egress_blocked: "Destination not allowed",
  oauth: "OAuth authorization failed",
  unauthorized: "Authentication required",
  forbidden: "Forbidden",
  key_policy: "No key the policy allows",
  not_found: "Not found",
  deleted: "Not found",
  route_not_found: "No such route",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  expired: "Expired",
  precondition_failed: "Precondition failed",
  payload_too_large: "Request body too large",
  unsupported_media_type: "Unsupported media type",
  throttled: "Too many requests",
  budget_exceeded: "Budget exceeded",
  configuration: "Server misconfigured",
  dependency_missing: "Server misconfigured",
  integrity: "Stored data failed an integrity check",
  key_disabled: "The encryption key is disabled",
  internal: "Internal error",
  unsupported: "Not supported by this store",
  auth: "The credential store refused access",
  unavailable: "The credential store is unavailable",
};

/** The body of a problem response. */
export interface Problem {
  /** `urn:credkit:problem:<code>`. */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** What went wrong, naming fields but never values. */
  readonly detail: string;
  /** credkit's stable code: branch on this. */
  readonly code: ProblemCode;
  /** The offending field (request body path, parameter or header), when there is one. */
  readonly field?: string | undefined;
}

/** A failure the HTTP layer raises itself; becomes a problem response. */
export class HttpProblem extends Error {
  readonly code: ProblemCode;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ProblemCode,
    detail: string,
    options: { field?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
}

/** Statuses whose details are not the caller's business (server-side failures). */
function isServerSide(status: number): boolean {
  return status >= 500;
}

/** Strips credkit's `[credkit] [source]` prefix from an error message. */
function plainMessage(message: string): string {
  return message.replace(/^\[credkit\](?: \[[^\]]*\])? /, "");
}

/** The problem (and extra headers) for anything a handler threw. */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } {
  let code: ProblemCode = "internal";
  let detail = "The request could not be completed.";
  let field: string | undefined;
  const headers: Record<string, string> = {};
  if (error instanceof HttpProblem) {
    code = error.code;
    detail = error.message;
    field = error.field;
    Object.assign(headers, error.headers);
  } else if (CredkitError.isInstance(error)) {
    code = error.code;
    detail = plainMessage(error.message);
    if (ValidationError.isInstance(error)) field = error.field;
    if (error.retryAfterMs !== undefined)
      headers["retry-after"] = String(Math.ceil(error.retryAfterMs / 1000));
  }
  const status = PROBLEM_STATUS[code];
  // Server-side failures say what kind of failure it was, not what the store said.
  if (isServerSide(status) && code !== "unsupported") detail = TITLES[code];
  return {
    problem: {
      type: `urn:credkit:problem:${code}`,
      title: TITLES[code],
      status,
      detail,
      code,
      ...(field !== undefined ? { field } : {}),
    },
    headers,
  };
}

/** A problem+json response. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...headers },
  });
}
