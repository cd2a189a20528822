/**
 * What differs in Secret Manager's failures. In gRPC mode the SDK reports gRPC status codes
 * (0–16); in REST fallback mode google-gax 5 hands back a `GaxiosError` whose `code` is the HTTP
 * status, with the API's `{"error":{"code","status","message"}}` body as its message, and
 * google-gax 6 may map it back to a gRPC code. Both are normalised to a gRPC status name, which
 * stands on one rung of the shared ladder; UNIMPLEMENTED and auth-library failures without a
 * status are the store's own.
 */
import { AuthError, UnsupportedError } from "../../core/errors.js";
import { errorLadder, isNetworkError, type LadderStep } from "../../kit/error-ladder.js";

/** The backend's name in errors (`source`). */
export const NAME = "gcp";

/** gRPC status names by code. */
const GRPC_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** A gRPC status name, e.g. `NOT_FOUND`. */
export type GrpcStatusName = (typeof GRPC_NAMES)[number];

/** The gRPC status an HTTP status stands for (google.rpc.Code's HTTP mapping). */
const HTTP_TO_GRPC: Readonly<Record<number, GrpcStatusName>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "DEADLINE_EXCEEDED",
  409: "ABORTED",
  412: "FAILED_PRECONDITION",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

function isStatusName(value: unknown): value is GrpcStatusName {
  return typeof value === "string" && (GRPC_NAMES as readonly string[]).includes(value);
}

/** The `error.status` string of a REST error body, found in the response data or the message. */
function restStatus(record: Record<string, unknown>): GrpcStatusName | undefined {
  const response = record.response as { data?: unknown } | undefined;
  const data = response?.data as { error?: { status?: unknown } } | string | undefined;
  const status = data && typeof data === "object" ? data.error?.status : undefined;
  if (isStatusName(status)) return status;
  for (const text of [typeof data === "string" ? data : undefined, record.message]) {
    if (typeof text !== "string") continue;
    const match = /"status"\s*:\s*"([A-Z_]+)"/.exec(text);
    if (match && isStatusName(match[1])) return match[1];
  }
  return undefined;
}

function httpStatus(record: Record<string, unknown>): number | undefined {
  if (typeof record.code === "number" && record.code >= 100) return record.code;
  if (typeof record.code === "string" && /^\d{3}$/.test(record.code)) return Number(record.code);
  if (typeof record.status === "number" && record.status >= 100) return record.status;
  const response = record.response as { status?: unknown } | undefined;
  return typeof response?.status === "number" ? response.status : undefined;
}

/**
 * The gRPC status of an SDK error, from a gRPC code, a REST error body or an HTTP status;
 * `UNAVAILABLE` for network failures; undefined when it carries none.
 */
export function grpcStatusOf(error: unknown): GrpcStatusName | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  if (typeof record.code === "number" && record.code >= 0 && record.code < GRPC_NAMES.length) {
    return GRPC_NAMES[record.code];
  }
  if (isStatusName(record.code)) return record.code;
  const fromBody = restStatus(record);
  if (fromBody) return fromBody;
  const status = httpStatus(record);
  if (status !== undefined) return HTTP_TO_GRPC[status] ?? (status >= 500 ? "UNAVAILABLE" : "UNKNOWN");
  if (record.name === "AbortError" || record.name === "TimeoutError") return "DEADLINE_EXCEEDED";
  if (isNetworkError(record)) return "UNAVAILABLE";
  if (record.cause !== undefined && record.cause !== error) return grpcStatusOf(record.cause);
  return undefined;
}

/** The status each gRPC status stands for on the ladder (UNIMPLEMENTED is an override). */
const GRPC_TO_HTTP: Readonly<Record<GrpcStatusName, number | undefined>> = {
  OK: undefined,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  FAILED_PRECONDITION: 412,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  RESOURCE_EXHAUSTED: 429,
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  CANCELLED: 503,
  DEADLINE_EXCEEDED: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
};

/** Auth-library failures that carry no status: no credentials, a bad key, a refused token. */
const AUTH_MESSAGE =
  /default credentials|invalid_grant|unauthorized_client|invalid_client|private key|PEM|decoder|credential/i;

function override(error: unknown, { action, status, options }: LadderStep) {
  if (status === 501)
    return new UnsupportedError(`The Secret Manager endpoint cannot ${action} (UNIMPLEMENTED).`, options);
  const message = (error as { message?: unknown } | null)?.message;
  if (status === undefined && typeof message === "string" && AUTH_MESSAGE.test(message)) {
    return new AuthError(`Secret Manager credentials could not be used to ${action}.`, options);
  }
  return undefined;
}

/** Maps anything a Secret Manager call threw to a credkit error. */
export const gcpError = errorLadder({
  source: NAME,
  service: "Secret Manager",
  status: (error) => {
    const name = grpcStatusOf(error);
    return name === undefined ? undefined : GRPC_TO_HTTP[name];
  },
  override,
});
