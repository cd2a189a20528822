/**
 * The OpenAI-compatible hosts (Groq, Together AI, DeepSeek, xAI, OpenRouter): one connector on the
 * official `openai` SDK, configured per host from `spec.ts`. `generateText` and `listModels`;
 * `testConnection()` makes the host's verification call. Like the openai connector, the client
 * never reads the server's environment (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, …).
 */
import type OpenAI from "openai";
import { defineConnector } from "../define.js";
import { classifyFailure, type Failure } from "../failures.js";
import { chatText, clientOptions, listedModels } from "../openai/chat.js";
import type { OpenAIModule } from "../openai/index.js";
import type { ConnectorOptions, ConnectorSpec, TextGenerationMethods } from "../types.js";
import {
  OPENAI_COMPATIBLE_HOSTS,
  OPENAI_COMPATIBLE_SPECS,
  type OpenAICompatibleHost,
  type OpenAICompatibleId,
} from "./spec.js";

import type { OpenAICompatibleConnector } from "./types.js";

export { OPENAI_COMPATIBLE_HOSTS, type OpenAICompatibleHost, type OpenAICompatibleId } from "./spec.js";
export type { OpenAICompatibleConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "openai:OpenAI": OpenAI;
    }
  }
}

/** Options of an OpenAI-compatible connector. */
export type OpenAICompatibleConnectorOptions = ConnectorOptions<OpenAIModule>;

/** A wrong key answered with the host's own status (e.g. xAI's 400) is `unauthorized`. */
function classifier(host: OpenAICompatibleHost): ((error: unknown) => Failure | undefined) | undefined {
  const { invalidKey } = host;
  if (!invalidKey) return undefined;
  return (error) => {
    const failure = classifyFailure(error);
    const message = error instanceof Error ? error.message : "";
    return failure.status === invalidKey.status && message.includes(invalidKey.message)
      ? { kind: "unauthorized", status: failure.status }
      : undefined;
  };
}

function defineHost<Id extends OpenAICompatibleId>(id: Id) {
  const spec = OPENAI_COMPATIBLE_SPECS[id] as ConnectorSpec<Id>;
  const host: OpenAICompatibleHost = OPENAI_COMPATIBLE_HOSTS[id];
  const classify = classifier(host);
  return defineConnector<Id, OpenAI, TextGenerationMethods, OpenAIModule>({
    spec,
    async setup(context) {
      const module = await context.load("openai", () => import("openai"));
      const OpenAIClass = (module.default ?? module.OpenAI) as typeof OpenAI;
      const client = new OpenAIClass({
        apiKey: context.secret("apiKey").reveal(),
        baseURL: context.baseURL ?? host.baseURL,
        organization: null,
        ...clientOptions(context),
      });
      const defaultModel = context.setting("model") ?? host.defaultModel;
      const listModels = context.withCallSignal(async (signal) =>
        listedModels(await client.get(host.verification.path, { signal })),
      );
      return {
        client,
        methods: {
          generateText: context.withCallSignal((signal, prompt, generate) =>
            chatText(client, signal, defaultModel, prompt, generate),
          ),
          listModels,
        },
        async verify() {
          const models = await listModels();
          return models.length > 0 ? { models: models.map((model) => model.id) } : {};
        },
        ...(classify ? { classify } : {}),
      };
    },
  });
}

/** The connector definitions of the hosts, by id. */
export const definitions = {
  groq: defineHost("groq"),
  together: defineHost("together"),
  deepseek: defineHost("deepseek"),
  xai: defineHost("xai"),
  openrouter: defineHost("openrouter"),
} as const;

/** `getConnector(id, credentials, options)` for one host, without the registry. */
export function createOpenAICompatibleConnector(
  id: OpenAICompatibleId,
  credentials: Readonly<Record<string, unknown>>,
  options?: OpenAICompatibleConnectorOptions,
): Promise<OpenAICompatibleConnector> {
  return definitions[id].create(credentials, options);
}
