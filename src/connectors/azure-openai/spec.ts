import { apiKeyField, modelField } from "../fields.js";
import { openaiSpec } from "../openai/spec.js";
import type { ConnectorSpec } from "../types.js";

/** The Azure OpenAI API version used when the connection names none (the latest GA version). */
export const AZURE_OPENAI_DEFAULT_API_VERSION = "2024-10-21";

/** The azure-openai connector's catalog entry: pure data, loads no SDK. */
export const azureOpenAISpec = {
  id: "azure-openai",
  displayName: "Azure OpenAI",
  category: "ai_ml",
  description: "OpenAI models deployed in an Azure OpenAI resource: text generation through a deployment.",
  fields: [
    apiKeyField(
      "^[A-Za-z0-9]{32,}$",
      "0123abcd...",
      "Key 1 or Key 2 of the Azure OpenAI resource (Keys and Endpoint in the Azure portal).",
    ),
    {
      // why: named baseURL so the egress guard checks it like every base URL from tenant data.
      name: "baseURL",
      label: "Endpoint",
      secret: false,
      required: true,
      aliases: ["endpoint", "baseUrl", "url"],
      example: "https://my-resource.openai.azure.com",
      description: "The resource's endpoint, https://<resource>.openai.azure.com.",
    },
    {
      name: "deployment",
      label: "Deployment",
      secret: false,
      required: true,
      aliases: ["deploymentName", "deploymentId"],
      description: "The model deployment generateText calls, e.g. gpt-4o-mini-eu.",
    },
    {
      name: "apiVersion",
      label: "API version",
      secret: false,
      required: false,
      aliases: ["api-version"],
      description: `Azure OpenAI data-plane API version (default ${AZURE_OPENAI_DEFAULT_API_VERSION}).`,
    },
    modelField,
  ],
  sdk: openaiSpec.sdk,
  verification: {
    method: "GET",
    path: "/openai/models",
    description: "Lists the models the resource offers (needs the key, not a deployment).",
  },
  docsUrl: "https://learn.microsoft.com/azure/ai-services/openai/reference",
  auth: { header: "api-key" },
  usage: openaiSpec.usage,
} as const satisfies ConnectorSpec<"azure-openai">;
