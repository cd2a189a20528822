/**
 * Google's OAuth token endpoint and the BigQuery REST API v2 on loopback, from their public
 * references. `POST /token` takes the JWT-bearer grant google-auth-library sends (RFC 7523): the
 * assertion's RS256 signature is verified with the service account's public key, its `iss`, `aud`
 * (`https://oauth2.googleapis.com/token`), `scope` and times checked, and a refusal is Google's
 * `400 {"error":"invalid_grant",…}`. BigQuery answers only the access tokens it issued:
 * `datasets.list` (needs `bigquery.datasets.get`) and `jobs.query` with `dryRun` (needs
 * `bigquery.jobs.create`, and `bigquery.tables.getData` on the tables), with Google's JSON error
 * bodies (401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED` "Access Denied: …", 404 `NOT_FOUND`).
 */
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { type LoopbackServer, type RecordedRequest, type Reply, startLoopback } from "../providers/base.js";

/** The audience of every assertion, whatever host the token request reaches. */
export const GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token";
const BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery";

/** A service account the stand-in knows. */
export interface StandInAccount {
  readonly clientEmail: string;
  /** The PEM public key matching the account's private key. */
  readonly publicKey: string;
  /** IAM permissions on the project, e.g. `bigquery.datasets.get`. */
  readonly permissions: readonly string[];
}

/** A project's datasets and their tables. */
export type StandInProject = Readonly<Record<string, readonly string[]>>;

/** What the stand-in records of each token it issued. */
export interface IssuedToken {
  readonly clientEmail: string;
}

/** The stand-in and the access tokens it issued. */
export interface BigQueryStandIn extends LoopbackServer {
  readonly tokens: ReadonlyMap<string, IssuedToken>;
}

export function googleError(code: number, status: string, reason: string, message: string): Reply {
  return {
    status: code,
    body: { error: { code, message, errors: [{ message, domain: "global", reason }], status } },
  };
}

const unauthenticated = () =>
  googleError(
    401,
    "UNAUTHENTICATED",
    "authError",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
  );

const invalidGrant = (description: string): Reply => ({
  status: 400,
  body: { error: "invalid_grant", error_description: description },
});

const decode = (part: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
};

/** The account whose key signed a valid assertion, or Google's refusal. */
function checkAssertion(accounts: Map<string, StandInAccount>, assertion: string): StandInAccount | Reply {
  const [header, payload, signature] = assertion.split(".");
  const head = decode(header ?? "");
  const claims = decode(payload ?? "");
  if (!head || !claims || signature === undefined || head.alg !== "RS256") {
    return invalidGrant("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.");
  }
  const account = accounts.get(String(claims.iss));
  if (!account) return invalidGrant("Invalid grant: account not found");
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${header}.${payload}`),
    createPublicKey(account.publicKey),
    Buffer.from(signature, "base64url"),
  );
  if (!signed) return invalidGrant("Invalid JWT Signature.");
  const now = Date.now() / 1000;
  const { aud, iat, exp, scope } = claims as { aud?: unknown; iat?: number; exp?: number; scope?: unknown };
  if (aud !== GOOGLE_TOKEN_AUDIENCE) return invalidGrant("Invalid JWT: Invalid audience.");
  if (
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    iat > now + 300 ||
    exp < now ||
    exp - iat > 3600
  ) {
    return invalidGrant(
      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
    );
  }
  if (typeof scope !== "string" || !scope.split(" ").includes(BIGQUERY_SCOPE)) {
    return invalidGrant("Invalid JWT: the scope does not grant BigQuery.");
  }
  return account;
}

const denied = (project: string, permission: string) =>
  googleError(
    403,
    "PERMISSION_DENIED",
    "accessDenied",
    `Access Denied: Project ${project}: User does not have ${permission} permission in project ${project}.`,
  );

/** `jobs.query` with `dryRun`: the tables the query names must exist and be readable. */
function dryRunQuery(
  project: string,
  datasets: StandInProject,
  account: StandInAccount,
  body: unknown,
): Reply {
  const { query, dryRun } = (body ?? {}) as { query?: unknown; dryRun?: unknown };
  if (!account.permissions.includes("bigquery.jobs.create")) return denied(project, "bigquery.jobs.create");
  if (dryRun !== true)
    return googleError(400, "INVALID_ARGUMENT", "invalid", "The stand-in runs dry runs only.");
  const [, tableProject, dataset, table] = /`([^`.]+)\.([^`.]+)\.([^`]+)`/.exec(String(query)) ?? [];
  const tables = dataset !== undefined ? datasets[dataset] : undefined;
  if (!tables || tableProject !== project) {
    return googleError(
      404,
      "NOT_FOUND",
      "notFound",
      `Not found: Dataset ${project}:${dataset} was not found in location US`,
    );
  }
  const pattern = new RegExp(`^${String(table).replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
  const matched = tables.filter((name) => pattern.test(name));
  if (matched.length === 0) {
    return googleError(
      404,
      "NOT_FOUND",
      "notFound",
      `Not found: Table ${project}:${dataset}.${table} was not found in location US`,
    );
  }
  if (!account.permissions.includes("bigquery.tables.getData")) {
    const name = `${project}:${dataset}.${matched[0]}`;
    return googleError(
      403,
      "PERMISSION_DENIED",
      "accessDenied",
      `Access Denied: Table ${name}: User does not have permission to query table ${name}, or perhaps it does not exist.`,
    );
  }
  return {
    status: 200,
    body: {
      kind: "bigquery#queryResponse",
      jobReference: { projectId: project, location: "US" },
      totalBytesProcessed: "1048576",
      jobComplete: true,
      cacheHit: false,
      schema: { fields: [{ name: "cost", type: "FLOAT", mode: "NULLABLE" }] },
    },
  };
}

/** Starts the stand-in for one project: its service accounts and its datasets. */
export async function startBigQueryServer(
  project: string,
  known: readonly StandInAccount[],
  datasets: StandInProject,
): Promise<BigQueryStandIn> {
  const accounts = new Map(known.map((account) => [account.clientEmail, account]));
  const tokens = new Map<string, IssuedToken>();
  const callerOf = (request: RecordedRequest) =>
    tokens.get(String(request.headers.authorization ?? "").replace(/^Bearer /, ""));
  const token = (request: RecordedRequest): Reply => {
    const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return {
        status: 400,
        body: { error: "unsupported_grant_type", error_description: "Invalid grant_type: " },
      };
    }
    const checked = checkAssertion(accounts, form.get("assertion") ?? "");
    if ("status" in checked) return checked;
    const issued = `ya29.${randomBytes(24).toString("base64url")}`;
    tokens.set(issued, { clientEmail: checked.clientEmail });
    return { status: 200, body: { access_token: issued, expires_in: 3599, token_type: "Bearer" } };
  };
  const server = await startLoopback(
    (request) => (request.path === "/token" || callerOf(request) ? undefined : unauthenticated()),
    (request) => {
      if (request.method === "POST" && request.path === "/token") return token(request);
      const account = accounts.get(callerOf(request)?.clientEmail ?? "") as StandInAccount;
      const base = `/bigquery/v2/projects/${project}`;
      if (request.method === "GET" && request.path === `${base}/datasets`) {
        if (!account.permissions.includes("bigquery.datasets.get"))
          return denied(project, "bigquery.datasets.get");
        return {
          status: 200,
          body: {
            kind: "bigquery#datasetList",
            etag: "stand-in",
            datasets: Object.keys(datasets).map((id) => ({
              kind: "bigquery#dataset",
              id: `${project}:${id}`,
              datasetReference: { datasetId: id, projectId: project },
              location: "US",
            })),
          },
        };
      }
      if (request.method === "POST" && request.path === `${base}/queries`) {
        return dryRunQuery(project, datasets, account, request.body);
      }
      return undefined;
    },
  );
  return Object.assign(server, { tokens });
}
