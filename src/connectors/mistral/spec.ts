import { apiKeyField, baseURLField, modelField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The mistral connector's catalog entry: pure data, loads no SDK. */
export const mistralSpec = {
  id: "mistral",
  displayName: "Mistral AI",
  category: "ai_ml",
  description: "Mistral AI models: text generation, model listing.",
  fields: [
    apiKeyField("^[A-Za-z0-9]{32}$", "32 letters and digits", "Key from console.mistral.ai/api-keys."),
    modelField,
    baseURLField,
  ],
  sdk: { package: "@mistralai/mistralai", versions: "^1 || ^2" },
  baseURL: "https://api.mistral.ai",
  verification: { method: "GET", path: "/v1/models", description: "Lists the models the key can use." },
  docsUrl: "https://console.mistral.ai/api-keys",
  auth: { header: "authorization", prefix: "Bearer " },
  usage: {
    inputTokens: ["usage.prompt_tokens"],
    outputTokens: ["usage.completion_tokens"],
    maxOutputTokens: ["max_tokens"],
    model: "model",
  },
} as const satisfies ConnectorSpec<"mistral">;
