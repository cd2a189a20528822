/**
 * `mistral`: the official `@mistralai/mistralai` SDK (majors 1 and 2), imported on first use.
 * `generateText` (`chat.complete`) and `listModels`; `testConnection()` lists models
 * (`GET /v1/models`). The key is always passed, so the SDK never reads `MISTRAL_API_KEY`.
 */
import type { Mistral } from "@mistralai/mistralai";
import { defineConnector } from "../define.js";
import type { ConnectorOptions, ModelInfo, TextGenerationMethods } from "../types.js";
import { mistralSpec } from "./spec.js";

export type { MistralConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@mistralai/mistralai:Mistral": Mistral;
    }
  }
}

/** The `@mistralai/mistralai` module (for the `lib` option). */
export type MistralModule = typeof import("@mistralai/mistralai");

/** Default chat model. */
export const MISTRAL_DEFAULT_MODEL = "mistral-small-latest";

/** Options of the mistral connector. */
export type MistralConnectorOptions = ConnectorOptions<MistralModule>;

/** The text of a Mistral message content: a string or a list of chunks. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((chunk) => (chunk?.type === "text" ? String(chunk.text ?? "") : "")).join("");
}

export const definition = defineConnector<"mistral", Mistral, TextGenerationMethods, MistralModule>({
  spec: mistralSpec,
  async setup(context) {
    const module = await context.load("@mistralai/mistralai", () => import("@mistralai/mistralai"));
    const { options } = context;
    const client = new module.Mistral({
      apiKey: context.secret("apiKey").reveal(),
      serverURL: context.baseURL ?? mistralSpec.baseURL,
      httpClient: new module.HTTPClient({ fetcher: context.fetch }),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(options.maxRetries === 0 ? { retryConfig: { strategy: "none" } } : {}),
    });
    const defaultModel = context.setting("model") ?? MISTRAL_DEFAULT_MODEL;
    const listModels = context.withCallSignal(async (signal): Promise<ModelInfo[]> => {
      const list = await client.models.list({}, { fetchOptions: { signal } });
      return (list.data ?? []).flatMap((model) =>
        "id" in model && typeof model.id === "string" ? [{ id: model.id }] : [],
      );
    });
    return {
      client,
      methods: {
        generateText: context.withCallSignal(async (signal, prompt, generate = {}) => {
          const messages = [
            ...(generate.system ? [{ role: "system" as const, content: generate.system }] : []),
            { role: "user" as const, content: prompt },
          ];
          const completion = await client.chat.complete(
            {
              model: generate.model ?? defaultModel,
              messages,
              ...(generate.maxTokens !== undefined ? { maxTokens: generate.maxTokens } : {}),
              ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
            },
            { fetchOptions: { signal } },
          );
          const choice = completion.choices?.[0];
          return {
            text: contentText(choice?.message?.content),
            model: completion.model,
            ...(choice?.finishReason ? { finishReason: choice.finishReason } : {}),
            ...(completion.usage
              ? {
                  usage: {
                    inputTokens: completion.usage.promptTokens,
                    outputTokens: completion.usage.completionTokens,
                  },
                }
              : {}),
          };
        }),
        listModels,
      },
      async verify() {
        return { models: (await listModels()).map((model) => model.id) };
      },
    };
  },
});

/** `getConnector("mistral", credentials, options)` without the registry. */
export const createMistralConnector = definition.create;
