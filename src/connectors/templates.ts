/**
 * Connector templates: named starting configurations for common setups ("OpenAI — cheap chat",
 * "Azure OpenAI — EU deployment", …). A template holds settings only, never a secret; creating a
 * connection from one merges the caller's configuration (and key) over the template's.
 */
import { NotFoundError } from "../core/errors.js";

/** A named starting configuration for one connector. */
export interface ConnectorTemplate {
  /** Stable id, e.g. `openai-cheap-chat`. */
  readonly id: string;
  /** The connector it configures, e.g. `openai`. */
  readonly connector: string;
  /** Name for people, e.g. "OpenAI — cheap chat". */
  readonly name: string;
  /** What the configuration is for, and what the caller still has to supply. */
  readonly description: string;
  /** Settings (non-secret fields) the connection starts with. */
  readonly configuration: Readonly<Record<string, string>>;
}

/** The built-in templates. */
export const BUILTIN_TEMPLATES: readonly ConnectorTemplate[] = [
  {
    id: "openai-cheap-chat",
    connector: "openai",
    name: "OpenAI — cheap chat",
    description: "gpt-4o-mini for everyday chat at low cost. Supply the API key.",
    configuration: { model: "gpt-4o-mini" },
  },
  {
    id: "anthropic-fast",
    connector: "anthropic",
    name: "Anthropic — fast replies",
    description: "Claude Haiku for quick, inexpensive replies. Supply the API key.",
    configuration: { model: "claude-3-5-haiku-latest" },
  },
  {
    id: "azure-openai-eu",
    connector: "azure-openai",
    name: "Azure OpenAI — EU deployment",
    description:
      "A deployment in an EU region (e.g. Sweden Central) on the GA API version. Supply the resource's endpoint (https://<resource>.openai.azure.com), the deployment name if not gpt-4o-mini, and the key.",
    configuration: { deployment: "gpt-4o-mini", apiVersion: "2024-10-21" },
  },
  {
    id: "groq-open-models",
    connector: "groq",
    name: "Groq — fast open models",
    description: "Llama 3.1 8B on Groq for low-latency answers. Supply the API key.",
    configuration: { model: "llama-3.1-8b-instant" },
  },
  {
    id: "mistral-eu",
    connector: "mistral",
    name: "Mistral — EU-hosted models",
    description: "Mistral Small on Mistral's EU API. Supply the API key.",
    configuration: { model: "mistral-small-latest", baseURL: "https://api.eu.mistral.ai" },
  },
  {
    id: "aws-assume-role",
    connector: "aws",
    name: "AWS — assume a role",
    description:
      "Access keys that work through a role. Supply the access key id and secret, and the role ARN (roleArn).",
    configuration: { region: "us-east-1" },
  },
  {
    id: "gcp-billing-export",
    connector: "gcp",
    name: "GCP — billing export",
    description:
      "A service account that reads the Cloud Billing export in BigQuery: testConnection lists datasets and dry-runs a query of the export. Supply the service account key (JSON) and the dataset if not billing_export.",
    configuration: { billingDatasetId: "billing_export" },
  },
];

/** The templates of the connectors `has` accepts (all, or one connector's), sorted by id. */
export function listTemplates(has: (connector: string) => boolean, connector?: string): ConnectorTemplate[] {
  return BUILTIN_TEMPLATES.filter(
    (template) => has(template.connector) && (connector === undefined || template.connector === connector),
  ).sort((a, b) => a.id.localeCompare(b.id));
}

/** One template; `NotFoundError` when there is none with that id. */
export function findTemplate(id: string): ConnectorTemplate {
  const template = BUILTIN_TEMPLATES.find((candidate) => candidate.id === id);
  if (!template) throw new NotFoundError(`No connector template "${String(id).slice(0, 60)}".`);
  return template;
}
