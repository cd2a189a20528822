import { apiKeyField, baseURLField, modelField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The anthropic connector's catalog entry: pure data, loads no SDK. */
export const anthropicSpec = {
  id: "anthropic",
  displayName: "Anthropic",
  category: "ai_ml",
  description: "Anthropic Claude models: text generation, model listing.",
  fields: [
    apiKeyField("^sk-ant-[A-Za-z0-9_-]{20,}$", "sk-ant-...", "Key from console.anthropic.com (sk-ant-...)."),
    modelField,
    baseURLField,
  ],
  sdk: { package: "@anthropic-ai/sdk", versions: ">=0.30" },
  baseURL: "https://api.anthropic.com",
  verification: { method: "GET", path: "/v1/models", description: "Lists the models the key can use." },
  docsUrl: "https://console.anthropic.com/settings/keys",
  auth: { header: "x-api-key" },
  usage: {
    // why: a stream reports input in `message_start` (`message.usage`) and output so far in each
    // `message_delta` (`usage`); the last figure of a stream wins.
    inputTokens: ["usage.input_tokens", "message.usage.input_tokens"],
    outputTokens: ["usage.output_tokens", "message.usage.output_tokens"],
    maxOutputTokens: ["max_tokens"],
    model: "model",
  },
} as const satisfies ConnectorSpec<"anthropic">;
