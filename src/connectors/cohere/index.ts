/**
 * `cohere`: the official `cohere-ai` SDK (`CohereClientV2`, majors 7 and 8), imported on first
 * use. `generateText` (`POST /v2/chat`) and `listModels`; `testConnection()` lists models
 * (`GET /v1/models`). The token is always passed, so the SDK never reads `CO_API_KEY`.
 */
import type { CohereClientV2 } from "cohere-ai";
import { defineConnector } from "../define.js";
import type { ConnectorOptions, ModelInfo, TextGenerationMethods } from "../types.js";
import { cohereSpec } from "./spec.js";

export type { CohereConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "cohere-ai:CohereClientV2": CohereClientV2;
    }
  }
}

/** The `cohere-ai` module (for the `lib` option). */
export type CohereModule = typeof import("cohere-ai");

/** Default chat model. */
export const COHERE_DEFAULT_MODEL = "command-r7b-12-2024";

/** Options of the cohere connector. */
export type CohereConnectorOptions = ConnectorOptions<CohereModule>;

export const definition = defineConnector<"cohere", CohereClientV2, TextGenerationMethods, CohereModule>({
  spec: cohereSpec,
  async setup(context) {
    const module = await context.load("cohere-ai", () => import("cohere-ai"));
    const { options } = context;
    const client = new module.CohereClientV2({
      token: context.secret("apiKey").reveal(),
      baseUrl: context.baseURL ?? cohereSpec.baseURL,
      fetch: context.fetch,
      ...(options.timeout !== undefined ? { timeoutInSeconds: options.timeout / 1000 } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    });
    const defaultModel = context.setting("model") ?? COHERE_DEFAULT_MODEL;
    const listModels = context.withCallSignal(
      async (abortSignal): Promise<ModelInfo[]> =>
        (await client.models.list({}, { abortSignal })).models.flatMap((model) =>
          model.name ? [{ id: model.name }] : [],
        ),
    );
    return {
      client,
      methods: {
        generateText: context.withCallSignal(async (signal, prompt, generate = {}) => {
          const model = generate.model ?? defaultModel;
          const reply = await client.chat(
            {
              model,
              messages: [
                ...(generate.system ? [{ role: "system" as const, content: generate.system }] : []),
                { role: "user" as const, content: prompt },
              ],
              ...(generate.maxTokens !== undefined ? { maxTokens: generate.maxTokens } : {}),
              ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
            },
            { abortSignal: signal },
          );
          const text = (reply.message.content ?? [])
            .map((item) => (item.type === "text" ? item.text : ""))
            .join("");
          const billed = reply.usage?.billedUnits;
          return {
            text,
            model,
            finishReason: reply.finishReason,
            ...(billed
              ? { usage: { inputTokens: billed.inputTokens, outputTokens: billed.outputTokens } }
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

/** `getConnector("cohere", credentials, options)` without the registry. */
export const createCohereConnector = definition.create;
