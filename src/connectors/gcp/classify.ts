/**
 * What the Google Cloud SDKs throw, classified: the OAuth token endpoint's `invalid_grant` (a key
 * Google does not accept) is unauthorized; BigQuery's 401 likewise; its 403 is the permissions
 * verdict, naming the permission the message names, else the one the failed step needs.
 */
import { classifyFailure, type Failure } from "../failures.js";

/** A BigQuery call that failed, with the IAM permission the call needs. */
export class BigQueryStepError extends Error {
  constructor(
    /** The permission the step needs, e.g. `bigquery.datasets.get`. */
    readonly permission: string,
    cause: unknown,
  ) {
    super(`BigQuery call needing ${permission} failed`, { cause });
    this.name = "BigQueryStepError";
  }
}

/** OAuth error codes of a token request refused for its credential (RFC 6749 §5.2). */
const REFUSED_GRANT = new Set(["invalid_grant", "invalid_client", "unauthorized_client"]);
const PERMISSION = /\b(bigquery\.[a-zA-Z]+\.[a-zA-Z]+)\b/;
/** BigQuery's refusal to read a table names no permission: reading table data is `tables.getData`. */
const TABLE_READ = /permission to query table/i;

/** Classifies a failure of the gcp connector; undefined → the default classification. */
export function classifyGcp(error: unknown): Failure | undefined {
  const step = error instanceof BigQueryStepError ? error : undefined;
  const cause = (step ? step.cause : error) as {
    code?: unknown;
    message?: unknown;
    response?: { status?: unknown; data?: { error?: unknown } };
  } | null;
  const oauthError = cause?.response?.data?.error;
  const status = typeof cause?.code === "number" ? cause.code : classifyFailure(cause).status;
  if (typeof oauthError === "string" && REFUSED_GRANT.has(oauthError))
    return { kind: "unauthorized", status };
  if (status === 403) {
    const message = typeof cause?.message === "string" ? cause.message : "";
    const named =
      PERMISSION.exec(message)?.[1] ?? (TABLE_READ.test(message) ? "bigquery.tables.getData" : undefined);
    return { kind: "forbidden", status, permission: named ?? step?.permission };
  }
  return status === undefined ? undefined : { ...classifyFailure({ status }), status };
}
