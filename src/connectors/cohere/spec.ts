import { apiKeyField, baseURLField, modelField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The cohere connector's catalog entry: pure data, loads no SDK. */
export const cohereSpec = {
  id: "cohere",
  displayName: "Cohere",
  category: "ai_ml",
  description: "Cohere models: text generation (chat v2), model listing.",
  fields: [
    apiKeyField("^[A-Za-z0-9]{40}$", "40 letters and digits", "Key from dashboard.cohere.com/api-keys."),
    modelField,
    baseURLField,
  ],
  sdk: { package: "cohere-ai", versions: "^7.13 || ^8" },
  baseURL: "https://api.cohere.com",
  verification: { method: "GET", path: "/v1/models", description: "Lists the models the key can use." },
  docsUrl: "https://dashboard.cohere.com/api-keys",
  auth: { header: "authorization", prefix: "Bearer " },
  usage: {
    // why: the billed units are what the key pays for; the raw token counts are the fallback.
    inputTokens: ["usage.billed_units.input_tokens", "usage.tokens.input_tokens"],
    outputTokens: ["usage.billed_units.output_tokens", "usage.tokens.output_tokens"],
    maxOutputTokens: ["max_tokens"],
    model: "model",
  },
} as const satisfies ConnectorSpec<"cohere">;
