/**
 * `azure-openai`: the official `openai` SDK's `AzureOpenAI` client (majors 4 to 7), imported on
 * first use, against the connection's endpoint, deployment and API version. `generateText` calls
 * the deployment; `testConnection()` lists the resource's models (`GET /openai/models`). The key
 * travels in the `api-key` header; the client never reads the server's environment
 * (`AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, `OPENAI_API_VERSION`, `OPENAI_BASE_URL`).
 */
import type { AzureOpenAI } from "openai";
import { ValidationError } from "../../core/errors.js";
import { defineConnector } from "../define.js";
import { chatText, clientOptions, listedModels } from "../openai/chat.js";
import type { OpenAIModule } from "../openai/index.js";
import type { ConnectorOptions, TextGenerationMethods } from "../types.js";
import { AZURE_OPENAI_DEFAULT_API_VERSION, azureOpenAISpec } from "./spec.js";

export type { AzureOpenAIConnector } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "openai:AzureOpenAI": AzureOpenAI;
    }
  }
}

export { AZURE_OPENAI_DEFAULT_API_VERSION } from "./spec.js";

/** Options of the azure-openai connector (`baseURL` replaces the connection's endpoint). */
export type AzureOpenAIConnectorOptions = ConnectorOptions<OpenAIModule>;

export const definition = defineConnector<"azure-openai", AzureOpenAI, TextGenerationMethods, OpenAIModule>({
  spec: azureOpenAISpec,
  async setup(context) {
    const module = await context.load("openai", () => import("openai"));
    const endpoint = context.baseURL;
    if (endpoint === undefined) {
      throw new ValidationError(
        'Missing credential field "baseURL" (the endpoint) for Azure OpenAI.',
        "baseURL",
      );
    }
    const deployment = context.setting("deployment") ?? "";
    const client = new module.AzureOpenAI({
      apiKey: context.secret("apiKey").reveal(),
      // why: the endpoint as baseURL, never `endpoint`: that one would clash with OPENAI_BASE_URL.
      baseURL: `${endpoint.replace(/\/+$/, "")}/openai`,
      apiVersion: context.setting("apiVersion") ?? AZURE_OPENAI_DEFAULT_API_VERSION,
      deployment,
      organization: null,
      ...clientOptions(context),
    });
    const listModels = context.withCallSignal(async (signal) =>
      listedModels(await client.get("/models", { signal })),
    );
    return {
      client,
      methods: {
        generateText: context.withCallSignal((signal, prompt, generate) =>
          chatText(client, signal, context.setting("model") ?? deployment, prompt, generate),
        ),
        listModels,
      },
      async verify() {
        return { models: (await listModels()).map((model) => model.id) };
      },
    };
  },
});

/** `getConnector("azure-openai", credentials, options)` without the registry. */
export const createAzureOpenAIConnector = definition.create;
