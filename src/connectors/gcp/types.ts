/** SDK-free types of the gcp connector: what `getConnector("gcp", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";

/** What a dry run of a query reports. */
export interface DryRunResult {
  /** Bytes the query would read. */
  readonly totalBytesProcessed: number;
}

export interface GcpMethods {
  /** Ids of the project's datasets (first page). */
  listDatasets(): Promise<string[]>;
  /** Dry-runs a standard SQL query through `jobs.query`: validated and costed, never run. */
  dryRun(query: string): Promise<DryRunResult>;
}

/** The connector `getConnector("gcp", …)` returns. `client` is the `BigQuery` client of the service account. */
export type GcpConnector = DefinedConnector<OptionalType<"@google-cloud/bigquery:BigQuery">, GcpMethods>;
