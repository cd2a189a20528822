/**
 * `anthropic`: the official `@anthropic-ai/sdk`, imported on first use. `generateText`
 * (Messages API) and `listModels`; `testConnection()` lists models (`GET /v1/models`). The client
 * never reads `ANTHROPIC_API_KEY`, `ANTHROPIC_AUTH_TOKEN` or `ANTHROPIC_BASE_URL` from the
 * server's environment. How the key travels (`x-api-key` in older majors, `Authorization:
 * Bearer` with a dated `anthropic-version` in 1.x) is the SDK's choice.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { defineConnector } from "../define.js";
import type { ConnectorOptions, ModelInfo, TextGenerationMethods } from "../types.js";
import { anthropicSpec } from "./spec.js";

export type { AnthropicConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@anthropic-ai/sdk:Anthropic": Anthropic;
    }
  }
}

/** The `@anthropic-ai/sdk` module (for the `lib` option). */
export type AnthropicModule = typeof import("@anthropic-ai/sdk");

/** Default model: any model id is accepted, e.g. `claude-3-haiku-20240307`. */
export const ANTHROPIC_DEFAULT_MODEL = "claude-3-5-haiku-latest";
/** `max_tokens` sent when the call does not set `maxTokens` (the API requires one). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** Options of the anthropic connector. */
export type AnthropicConnectorOptions = ConnectorOptions<AnthropicModule>;

interface TextBlockLike {
  readonly type: string;
  readonly text?: string | undefined;
}

export const definition = defineConnector<"anthropic", Anthropic, TextGenerationMethods, AnthropicModule>({
  spec: anthropicSpec,
  async setup(context) {
    const module = await context.load("@anthropic-ai/sdk", () => import("@anthropic-ai/sdk"));
    const AnthropicClass = (module.default ?? module.Anthropic) as typeof Anthropic;
    const { options } = context;
    const client = new AnthropicClass({
      apiKey: context.secret("apiKey").reveal(),
      authToken: null,
      baseURL: context.baseURL ?? anthropicSpec.baseURL,
      fetch: context.fetch,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    });
    const defaultModel = context.setting("model") ?? ANTHROPIC_DEFAULT_MODEL;

    const listModels = context.withCallSignal(async (signal): Promise<ModelInfo[]> => {
      const models: ModelInfo[] = [];
      for await (const model of client.models.list({}, { signal })) {
        models.push({ id: model.id, ...(model.display_name ? { displayName: model.display_name } : {}) });
      }
      return models;
    });

    return {
      client,
      methods: {
        generateText: context.withCallSignal(async (signal, prompt, generate = {}) => {
          const message = await client.messages.create(
            {
              model: generate.model ?? defaultModel,
              max_tokens: generate.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
              messages: [{ role: "user", content: prompt }],
              ...(generate.system ? { system: generate.system } : {}),
              ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
            },
            { signal },
          );
          const blocks = message.content as readonly TextBlockLike[];
          return {
            text: blocks
              .filter((block) => block.type === "text")
              .map((block) => block.text ?? "")
              .join(""),
            model: message.model,
            ...(message.stop_reason ? { finishReason: message.stop_reason } : {}),
            usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
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

/** `getConnector("anthropic", credentials, options)` without the registry. */
export const createAnthropicConnector = definition.create;
