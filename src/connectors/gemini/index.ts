/**
 * `gemini`: the official `@google/genai` SDK (Gemini API with an API key, not Vertex AI),
 * imported on first use. `generateText` and `listModels`; `testConnection()` lists models. The
 * key travels in `x-goog-api-key`. The client never reads `GEMINI_API_KEY`, `GOOGLE_API_KEY` or
 * `GOOGLE_GENAI_USE_VERTEXAI` from the server's environment.
 *
 * The Gemini API answers a bad key with 400 `API_KEY_INVALID`, not 401: it is classified as an
 * invalid key all the same.
 */
import type { GoogleGenAI } from "@google/genai";
import { defineConnector } from "../define.js";
import { classifyFailure, type Failure } from "../failures.js";
import type { ConnectorOptions, ModelInfo, TextGenerationMethods } from "../types.js";
import { geminiSpec } from "./spec.js";

export type { GeminiConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@google/genai:GoogleGenAI": GoogleGenAI;
    }
  }
}

/** The `@google/genai` module (for the `lib` option). */
export type GeminiModule = typeof import("@google/genai");

/** Default model. */
export const GEMINI_DEFAULT_MODEL = "gemini-2.5-flash";

/** Options of the gemini connector. */
export type GeminiConnectorOptions = ConnectorOptions<GeminiModule>;

const INVALID_KEY = /API_KEY_INVALID|API key not valid|API key expired/i;

function classifyGemini(error: unknown): Failure | undefined {
  const failure = classifyFailure(error);
  if (failure.kind !== "invalid_request") return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return INVALID_KEY.test(message) ? { kind: "unauthorized", status: failure.status } : undefined;
}

export const definition = defineConnector<"gemini", GoogleGenAI, TextGenerationMethods, GeminiModule>({
  spec: geminiSpec,
  async setup(context) {
    const module = await context.load("@google/genai", () => import("@google/genai"));
    const { options } = context;
    const client = new module.GoogleGenAI({
      apiKey: context.secret("apiKey").reveal(),
      vertexai: false,
      httpOptions: {
        baseUrl: context.baseURL ?? geminiSpec.baseURL,
        fetch: context.fetch,
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        ...(options.maxRetries !== undefined ? { retryOptions: { attempts: options.maxRetries + 1 } } : {}),
      },
    });
    const defaultModel = context.setting("model") ?? GEMINI_DEFAULT_MODEL;

    const listModels = context.withCallSignal(async (signal): Promise<ModelInfo[]> => {
      const models: ModelInfo[] = [];
      const pager = await client.models.list({ config: { pageSize: 100, abortSignal: signal } });
      for await (const model of pager) {
        if (!model.name) continue;
        models.push({
          id: model.name.replace(/^models\//, ""),
          ...(model.displayName ? { displayName: model.displayName } : {}),
        });
      }
      return models;
    });

    return {
      client,
      methods: {
        generateText: context.withCallSignal(async (signal, prompt, generate = {}) => {
          const model = generate.model ?? defaultModel;
          const response = await client.models.generateContent({
            model,
            contents: prompt,
            config: {
              abortSignal: signal,
              ...(generate.system ? { systemInstruction: generate.system } : {}),
              ...(generate.maxTokens !== undefined ? { maxOutputTokens: generate.maxTokens } : {}),
              ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
            },
          });
          const finishReason = response.candidates?.[0]?.finishReason;
          const usage = response.usageMetadata;
          return {
            text: response.text ?? "",
            model: response.modelVersion ?? model,
            ...(finishReason ? { finishReason: String(finishReason) } : {}),
            ...(usage
              ? { usage: { inputTokens: usage.promptTokenCount, outputTokens: usage.candidatesTokenCount } }
              : {}),
          };
        }),
        listModels,
      },
      async verify() {
        return { models: (await listModels()).map((model) => model.id) };
      },
      classify: classifyGemini,
    };
  },
});

/** `getConnector("gemini", credentials, options)` without the registry. */
export const createGeminiConnector = definition.create;
