/**
 * What `@azure/identity` throws, classified. Microsoft Entra answers a wrong secret with 401
 * `invalid_client`, but an unknown app, an unknown tenant or an expired secret with 400: the
 * `AADSTS` code tells a credential it refuses from a request it cannot serve. An unknown tenant
 * cannot be told from an unreachable authority: MSAL reports both as `endpoints_resolution_error`
 * without the answer, so both are `unreachable`.
 */
import { classifyFailure, type Failure } from "../failures.js";

/**
 * Entra errors that mean the credential is not accepted: invalid/expired client secret
 * (7000215, 7000222), unknown app (700016), unknown tenant (90002, 900023), bad client
 * assertion or certificate (700027, 700024, 50012).
 */
const REFUSED = /\bAADSTS(7000215|7000222|700016|90002|900023|700027|700024|50012)\b/;

const ENTRA_ERROR = /\bAADSTS\d+\b/;

/** Classifies a failure of the azure connector; undefined → the default classification. */
export function classifyAzure(error: unknown): Failure | undefined {
  const found = error as {
    statusCode?: unknown;
    message?: unknown;
    errorResponse?: { error?: unknown; errorDescription?: unknown };
  } | null;
  const status = typeof found?.statusCode === "number" ? found.statusCode : classifyFailure(error).status;
  const text = `${String(found?.errorResponse?.errorDescription ?? "")} ${String(found?.message ?? "")}`;
  const code = found?.errorResponse?.error;
  if (code === "invalid_client" || code === "unauthorized_client" || REFUSED.test(text)) {
    return { kind: "unauthorized", status };
  }
  // any other AADSTS error is Entra refusing the request (e.g. an unknown resource), not a transport failure
  if (status === undefined && ENTRA_ERROR.test(text)) return { kind: "invalid_request" };
  return status === undefined ? undefined : { ...classifyFailure({ status }), status };
}
