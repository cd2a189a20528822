import { apiKeyField, baseURLField, modelField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The openai connector's catalog entry: pure data, loads no SDK. */
export const openaiSpec = {
  id: "openai",
  displayName: "OpenAI",
  category: "ai_ml",
  description: "OpenAI models: text generation, embeddings, model listing.",
  fields: [
    apiKeyField("^sk-[A-Za-z0-9_-]{20,}$", "sk-...", "Secret key from platform.openai.com (sk-...)."),
    {
      name: "organization",
      label: "Organization id",
      secret: false,
      required: false,
      aliases: ["organizationId", "orgId"],
    },
    modelField,
    baseURLField,
  ],
  sdk: { package: "openai", versions: "^4 || ^5 || ^6 || ^7" },
  baseURL: "https://api.openai.com/v1",
  verification: { method: "GET", path: "/models", description: "Lists the models the key can use." },
  docsUrl: "https://platform.openai.com/api-keys",
  auth: { header: "authorization", prefix: "Bearer " },
  usage: {
    inputTokens: ["usage.prompt_tokens", "usage.input_tokens"],
    outputTokens: ["usage.completion_tokens", "usage.output_tokens"],
    maxOutputTokens: ["max_completion_tokens", "max_tokens", "max_output_tokens"],
    model: "model",
  },
} as const satisfies ConnectorSpec<"openai">;
