import { apiKeyField, baseURLField, modelField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The gemini connector's catalog entry: pure data, loads no SDK. */
export const geminiSpec = {
  id: "gemini",
  displayName: "Gemini",
  category: "ai_ml",
  description: "Google Gemini models (Gemini API, not Vertex AI): text generation, model listing.",
  fields: [
    apiKeyField("^AIza[A-Za-z0-9_-]{35}$", "AIza...", "Key from aistudio.google.com (AIza...)."),
    modelField,
    baseURLField,
  ],
  sdk: { package: "@google/genai", versions: ">=1" },
  baseURL: "https://generativelanguage.googleapis.com",
  verification: {
    method: "GET",
    path: "/v1beta/models (/v1/models with @google/genai 3)",
    description: "Lists the models the key can use.",
  },
  docsUrl: "https://aistudio.google.com/app/apikey",
  auth: { header: "x-goog-api-key" },
  usage: {
    inputTokens: ["usageMetadata.promptTokenCount"],
    outputTokens: ["usageMetadata.candidatesTokenCount"],
    maxOutputTokens: ["generationConfig.maxOutputTokens"],
    modelInPath: "/models/([^/:]+):",
  },
} as const satisfies ConnectorSpec<"gemini">;
