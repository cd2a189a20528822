import type { ConnectorSpec } from "../types.js";

/** The gcp connector's catalog entry: pure data, loads no SDK. */
export const gcpSpec = {
  id: "gcp",
  displayName: "Google Cloud",
  category: "cloud",
  description:
    "A Google Cloud service account: proves it through BigQuery (authenticates, lists datasets, dry-runs a query of the billing export).",
  fields: [
    {
      name: "serviceAccountJson",
      label: "Service account key (JSON)",
      secret: true,
      required: true,
      aliases: ["service_account_json", "serviceAccountKey", "credentialsJson", "keyJson"],
      example: '{"type": "service_account", "project_id": "...", ...}',
      description:
        "The JSON key file of the service account (IAM → Service accounts → Keys → Add key → JSON).",
    },
    {
      name: "billingDatasetId",
      label: "Billing export dataset",
      secret: false,
      required: false,
      aliases: ["billing_dataset_id", "billingDataset"],
      example: "billing_export",
      description:
        "The BigQuery dataset Cloud Billing exports to: testConnection dry-runs a query of its gcp_billing_export_* tables.",
    },
    {
      name: "projectId",
      label: "Project",
      secret: false,
      required: false,
      aliases: ["project_id", "project"],
      description: "The project whose BigQuery is checked (default: the key's project_id).",
    },
    {
      name: "location",
      label: "BigQuery location",
      secret: false,
      required: false,
      aliases: ["region"],
      example: "US",
      description: "Where the billing export dataset lives (default: BigQuery's own choice).",
    },
  ],
  sdk: { package: "@google-cloud/bigquery", versions: "^7 || ^8 || ^9" },
  baseURL: "https://bigquery.googleapis.com",
  verification: {
    method: "GET",
    path: "/bigquery/v2/projects/{projectId}/datasets",
    description:
      "OAuth token for the service account, BigQuery datasets.list, and with billingDatasetId a dry-run jobs.query of the billing export.",
  },
  docsUrl: "https://cloud.google.com/iam/docs/keys-create-delete",
} as const satisfies ConnectorSpec<"gcp">;
