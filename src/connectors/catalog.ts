/**
 * The catalog: one declarative spec per built-in connector. Pure data, loads nothing, so a UI
 * can list connectors, their fields and key formats without importing any SDK.
 */
import type { ConnectorSpec, CredentialFieldSpec } from "./types.js";

const apiKeyField = (pattern: string, example: string, description: string): CredentialFieldSpec => ({
  name: "apiKey",
  label: "API key",
  secret: true,
  required: true,
  aliases: ["key", "token"],
  pattern,
  example,
  description,
});

const modelField: CredentialFieldSpec = {
  name: "model",
  label: "Default model",
  secret: false,
  required: false,
  aliases: ["defaultModel"],
  description: "Model used when a call does not name one.",
};

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
  ],
  sdk: { package: "openai", versions: "^4 || ^5 || ^6 || ^7" },
  baseURL: "https://api.openai.com/v1",
  verification: { method: "GET", path: "/models", description: "Lists the models the key can use." },
  docsUrl: "https://platform.openai.com/api-keys",
} as const satisfies ConnectorSpec<"openai">;

export const anthropicSpec = {
  id: "anthropic",
  displayName: "Anthropic",
  category: "ai_ml",
  description: "Anthropic Claude models: text generation, model listing.",
  fields: [
    apiKeyField("^sk-ant-[A-Za-z0-9_-]{20,}$", "sk-ant-...", "Key from console.anthropic.com (sk-ant-...)."),
    modelField,
  ],
  sdk: { package: "@anthropic-ai/sdk", versions: ">=0.30" },
  baseURL: "https://api.anthropic.com",
  verification: { method: "GET", path: "/v1/models", description: "Lists the models the key can use." },
  docsUrl: "https://console.anthropic.com/settings/keys",
} as const satisfies ConnectorSpec<"anthropic">;

export const firecrawlSpec = {
  id: "firecrawl",
  displayName: "Firecrawl",
  category: "data_extraction",
  description: "Firecrawl web scraping: scrape a URL, crawl a site, search the web.",
  fields: [apiKeyField("^fc-[A-Za-z0-9_-]{16,}$", "fc-...", "Key from firecrawl.dev (fc-...).")],
  sdk: { package: "@mendable/firecrawl-js", versions: "^1 || ^2 || ^3 || ^4" },
  baseURL: "https://api.firecrawl.dev",
  verification: {
    method: "GET",
    path: "/v1/team/credit-usage (v2 clients: /v2/team/credit-usage)",
    description: "Reads the team's remaining credits: authenticated and free.",
  },
  docsUrl: "https://www.firecrawl.dev/app/api-keys",
} as const satisfies ConnectorSpec<"firecrawl">;

export const geminiSpec = {
  id: "gemini",
  displayName: "Gemini",
  category: "ai_ml",
  description: "Google Gemini models (Gemini API, not Vertex AI): text generation, model listing.",
  fields: [
    apiKeyField("^AIza[A-Za-z0-9_-]{35}$", "AIza...", "Key from aistudio.google.com (AIza...)."),
    modelField,
  ],
  sdk: { package: "@google/genai", versions: ">=1" },
  baseURL: "https://generativelanguage.googleapis.com",
  verification: {
    method: "GET",
    path: "/v1beta/models (/v1/models with @google/genai 3)",
    description: "Lists the models the key can use.",
  },
  docsUrl: "https://aistudio.google.com/app/apikey",
} as const satisfies ConnectorSpec<"gemini">;

export const httpSpec = {
  id: "http",
  displayName: "HTTP",
  category: "http",
  description:
    "Any REST API: applies a bearer token, basic auth, or an API key in a header or query parameter to every request.",
  fields: [
    {
      name: "token",
      label: "Bearer token",
      secret: true,
      required: false,
      aliases: ["bearerToken", "accessToken"],
    },
    { name: "username", label: "Username", secret: false, required: false, aliases: ["user"] },
    { name: "password", label: "Password", secret: true, required: false },
    { name: "apiKey", label: "API key", secret: true, required: false, aliases: ["key"] },
    { name: "baseURL", label: "Base URL", secret: false, required: false, aliases: ["baseUrl", "url"] },
  ],
  docsUrl: "https://github.com/credkit/credkit/blob/main/docs/connectors.md#http",
} as const satisfies ConnectorSpec<"http">;

/** The specs of the built-in connectors, by id. */
export const BUILTIN_SPECS = {
  openai: openaiSpec,
  anthropic: anthropicSpec,
  firecrawl: firecrawlSpec,
  gemini: geminiSpec,
  http: httpSpec,
} as const;

/** Id of a built-in connector. */
export type BuiltinConnectorId = keyof typeof BUILTIN_SPECS;
