/**
 * `openai`: the official `openai` SDK (majors 4 to 7), imported on first use.
 * `generateText`, `createEmbeddings`, `listModels`; `testConnection()` lists models
 * (`GET /v1/models`). The client never falls back to the server's environment
 * (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`): a tenant's
 * connector uses the tenant's key and settings only.
 */
import type OpenAI from "openai";
import { defineConnector } from "../define.js";
import type { ConnectorOptions, ModelInfo } from "../types.js";
import { chatText, clientOptions } from "./chat.js";
import { openaiSpec } from "./spec.js";
import type { OpenAIMethods } from "./types.js";

export type { EmbeddingsOptions, EmbeddingsResult, OpenAIConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "openai:OpenAI": OpenAI;
    }
  }
}

/** The `openai` module (for the `lib` option). */
export type OpenAIModule = typeof import("openai");

/** Default chat model. */
export const OPENAI_DEFAULT_MODEL = "gpt-4o-mini";
/** Default embedding model. */
export const OPENAI_DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";

/** Options of the openai connector. */
export type OpenAIConnectorOptions = ConnectorOptions<OpenAIModule>;

export const definition = defineConnector<"openai", OpenAI, OpenAIMethods, OpenAIModule>({
  spec: openaiSpec,
  async setup(context) {
    const module = await context.load("openai", () => import("openai"));
    const OpenAIClass = (module.default ?? module.OpenAI) as typeof OpenAI;
    const client = new OpenAIClass({
      apiKey: context.secret("apiKey").reveal(),
      baseURL: context.baseURL ?? openaiSpec.baseURL,
      organization: context.setting("organization") ?? null,
      ...clientOptions(context),
    });
    const defaultModel = context.setting("model") ?? OPENAI_DEFAULT_MODEL;

    const listModels = context.withCallSignal(async (signal): Promise<ModelInfo[]> => {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({ signal })) models.push({ id: model.id });
      return models;
    });

    return {
      client,
      methods: {
        generateText: context.withCallSignal((signal, prompt, generate) =>
          chatText(client, signal, defaultModel, prompt, generate),
        ),
        createEmbeddings: context.withCallSignal(async (signal, texts, embed = {}) => {
          const input = typeof texts === "string" ? [texts] : [...texts];
          const response = await client.embeddings.create(
            {
              model: embed.model ?? OPENAI_DEFAULT_EMBEDDING_MODEL,
              input,
              ...(embed.dimensions !== undefined ? { dimensions: embed.dimensions } : {}),
            },
            { signal },
          );
          const ordered = [...response.data].sort((a, b) => a.index - b.index);
          return {
            embeddings: ordered.map((item) => item.embedding),
            model: response.model,
            ...(response.usage ? { usage: { inputTokens: response.usage.prompt_tokens } } : {}),
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

/** `getConnector("openai", credentials, options)` without the registry. */
export const createOpenAIConnector = definition.create;
