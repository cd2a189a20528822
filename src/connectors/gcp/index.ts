/**
 * `gcp`: a Google Cloud service account, proven through the official `@google-cloud/bigquery`,
 * imported on first use. `testConnection()` checks the key's structure first (no request when it
 * is malformed), then gets an OAuth token for the account (google-auth-library's JWT flow), lists
 * BigQuery datasets, and — when the connection names a billing export dataset — dry-runs a query
 * of its `gcp_billing_export_*` tables through `jobs.query`. A refusal is the permissions verdict
 * naming the permission. The SDK gets the parsed account only (never the JSON document, whose
 * `type` could select another credential flow) and a project id, so Application Default
 * Credentials and the metadata server are never consulted; the token request goes to Google's
 * token endpoint, or with `baseURL` to `{baseURL}/token`, and nowhere else.
 */
import type { BigQuery } from "@google-cloud/bigquery";
import { UnsupportedError } from "../../core/errors.js";
import { type ConnectorSetupContext, defineConnector } from "../define.js";
import type { ConnectorOptions } from "../types.js";
import { BigQueryStepError, classifyGcp } from "./classify.js";
import { readServiceAccount, type ServiceAccount } from "./service-account.js";
import { gcpSpec } from "./spec.js";
import type { DryRunResult, GcpMethods } from "./types.js";

export type { DryRunResult, GcpConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@google-cloud/bigquery:BigQuery": BigQuery;
    }
  }
}

/** The `@google-cloud/bigquery` module (for the `lib` option). */
export type BigQueryModule = typeof import("@google-cloud/bigquery");

/** Options of the gcp connector (`baseURL` is the BigQuery endpoint, and `{baseURL}/token` the token endpoint). */
export type GcpConnectorOptions = ConnectorOptions<BigQueryModule>;

/** Google's OAuth token endpoint: where the JWT flow posts its assertion, and the assertion's audience. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

/** The project id given to the SDK when the key is malformed, so it never goes looking for one. */
const NO_PROJECT = "credkit-malformed-service-account";

/** The query `testConnection()` dry-runs over a billing export dataset. */
export function billingExportQuery(projectId: string, datasetId: string): string {
  return `SELECT cost FROM \`${projectId}.${datasetId}.gcp_billing_export_*\` LIMIT 1`;
}

/** The `fetch` of the account's token requests: Google's token URL only, sent to the pinned endpoint. */
function tokenFetch(context: ConnectorSetupContext<BigQueryModule>): typeof globalThis.fetch {
  const base = context.options.baseURL?.replace(/\/+$/, "");
  const target = base !== undefined ? `${base}/token` : GOOGLE_TOKEN_URL;
  return (url, init) => {
    if (String(url) !== GOOGLE_TOKEN_URL) {
      return Promise.reject(
        new UnsupportedError("The gcp connector's auth client sends token requests only.", { source: "gcp" }),
      );
    }
    return context.fetch(target, { ...init, signal: init?.signal ?? context.signal });
  };
}

/** Gives the client's GoogleAuth the account's JWT client, whose token requests go through `fetch`. */
function pinCredential(client: BigQuery, account: ServiceAccount, fetch: typeof globalThis.fetch): void {
  const auth = client.authClient;
  auth.cachedCredential = auth.fromJSON(
    {
      type: "service_account",
      project_id: account.projectId,
      client_email: account.clientEmail,
      private_key: account.privateKey,
    },
    { transporterOptions: { fetchImplementation: fetch as never } },
  );
}

const step = async <T>(permission: string, run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    throw new BigQueryStepError(permission, error);
  }
};

export const definition = defineConnector<"gcp", BigQuery, GcpMethods, BigQueryModule>({
  spec: gcpSpec,
  checkFormat(secret) {
    const text = secret("serviceAccountJson")?.reveal() ?? "";
    const read = readServiceAccount(text);
    return "problem" in read ? `Invalid service account JSON for Google Cloud: ${read.problem}` : undefined;
  },
  async setup(context) {
    const { BigQuery } = await context.load("@google-cloud/bigquery", () => import("@google-cloud/bigquery"));
    const read = readServiceAccount(context.secret("serviceAccountJson").reveal());
    const account = "problem" in read ? undefined : read;
    context.redact(account?.privateKey);
    const { options } = context;
    const projectId = context.setting("projectId") ?? account?.projectId ?? NO_PROJECT;
    const client = new BigQuery({
      projectId,
      apiEndpoint: context.baseURL ?? gcpSpec.baseURL,
      // a malformed key gets no credentials: the SDK refuses it before any request
      credentials: account ? { client_email: account.clientEmail, private_key: account.privateKey } : {},
      ...(options.maxRetries !== undefined
        ? { maxRetries: options.maxRetries, autoRetry: options.maxRetries > 0 }
        : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(context.setting("location") ? { location: context.setting("location") } : {}),
    });
    if (account) pinCredential(client, account, tokenFetch(context));
    const listDatasets = async (): Promise<string[]> => {
      const [datasets] = await client.getDatasets({ maxResults: 100, autoPaginate: false });
      return datasets.map((dataset) => dataset.id ?? "");
    };
    const dryRun = (query: string): Promise<DryRunResult> =>
      new Promise((resolve, reject) => {
        const location = context.setting("location");
        client.request(
          {
            method: "POST",
            uri: "/queries",
            json: { query, dryRun: true, useLegacySql: false, ...(location ? { location } : {}) },
          },
          (error, body) =>
            error
              ? reject(error)
              : resolve({
                  totalBytesProcessed: Number(
                    (body as { totalBytesProcessed?: string })?.totalBytesProcessed ?? 0,
                  ),
                }),
        );
      });
    return {
      client,
      methods: { listDatasets, dryRun },
      async verify() {
        await step("bigquery.datasets.get", listDatasets);
        const billing = context.setting("billingDatasetId");
        if (billing) await step("bigquery.jobs.create", () => dryRun(billingExportQuery(projectId, billing)));
        return { identity: { projectId, principal: account?.clientEmail ?? "" } };
      },
      classify: classifyGcp,
    };
  },
});

/** `getConnector("gcp", credentials, options)` without the registry. */
export const createGcpConnector = definition.create;
