/** SDK-free types of the openai connector: what `getConnector("openai", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { GenerateTextOptions, GenerateTextResult, ModelInfo } from "../types.js";

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

export interface OpenAIMethods {
  /** One chat completion for `prompt`. */
  generateText(prompt: string, options?: GenerateTextOptions): Promise<GenerateTextResult>;
  /** Embeddings of one text or several. */
  createEmbeddings(texts: string | readonly string[], options?: EmbeddingsOptions): Promise<EmbeddingsResult>;
  /** Every model the key can use. */
  listModels(): Promise<ModelInfo[]>;
}

/** The connector `getConnector("openai", …)` returns. `client` is the `OpenAI` instance. */
export type OpenAIConnector = DefinedConnector<OptionalType<"openai:OpenAI">, OpenAIMethods>;
