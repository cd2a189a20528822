/**
 * `openai`: the official `openai` SDK (majors 4 to 7), imported on first use.
 * `generateText`, `createEmbeddings`, `listModels`; `testConnection()` lists models
 * (`GET /v1/models`). The client never falls back to the server's environment
 * (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`): a tenant's
 * connector uses the tenant's key and settings only.
 */
import type OpenAI from "openai";
import { type DefinedConnector, defineConnector } from "../define.js";
import type { ConnectorOptions, GenerateTextOptions, GenerateTextResult, ModelInfo } from "../types.js";
import { chatText, clientOptions } from "./chat.js";
import { openaiSpec } from "./spec.js";

/** The `openai` module (for the `lib` option). */
export type OpenAIModule = typeof import("openai");

/** Options of `createEmbeddings`. */
export interface EmbeddingsOptions {
  /** @default "text-embedding-3-small" */
  model?: string | undefined;
  /** Output dimensions, for models that take them. */
  dimensions?: number | undefined;
}

/** Vectors for the texts, in input order. */
export interface EmbeddingsResult {
  readonly embeddings: number[][];
  readonly model: string;
  readonly usage?: { readonly inputTokens?: number } | undefined;
}

/** Default chat model. */
export const OPENAI_DEFAULT_MODEL = "gpt-4o-mini";
/** Default embedding model. */
export const OPENAI_DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";

interface OpenAIMethods {
  /** One chat completion for `prompt`. */
  generateText(prompt: string, options?: GenerateTextOptions): Promise<GenerateTextResult>;
  /** Embeddings of one text or several. */
  createEmbeddings(texts: string | readonly string[], options?: EmbeddingsOptions): Promise<EmbeddingsResult>;
  /** Every model the key can use. */
  listModels(): Promise<ModelInfo[]>;
}

/** The connector `getConnector("openai", …)` returns. `client` is the `OpenAI` instance. */
export type OpenAIConnector = DefinedConnector<OpenAI, OpenAIMethods>;

/** Options of the openai connector. */
export type OpenAIConnectorOptions = ConnectorOptions<OpenAIModule>;

export const definition = defineConnector<"openai", OpenAI, OpenAIMethods, OpenAIModule>({
  spec: openaiSpec,
  async setup(context) {
    const module = await context.load("openai", () => import("openai"));
    const OpenAIClass = (module.default ?? module.OpenAI) as typeof OpenAI;
    const { signal } = context;
    const client = new OpenAIClass({
      apiKey: context.secret("apiKey").reveal(),
      baseURL: context.baseURL ?? openaiSpec.baseURL,
      organization: context.setting("organization") ?? null,
      ...clientOptions(context),
    });
    const defaultModel = context.setting("model") ?? OPENAI_DEFAULT_MODEL;

    const listModels = async (): Promise<ModelInfo[]> => {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({ signal })) models.push({ id: model.id });
      return models;
    };

    return {
      client,
      methods: {
        generateText: (prompt, generate) => chatText(client, signal, defaultModel, prompt, generate),
        async createEmbeddings(texts, embed = {}) {
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
        },
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
