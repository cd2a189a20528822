/**
 * The built-in connectors, assembled from their folders: each folder holds its SDK-free spec
 * (`<id>/spec.ts`) and its connector (`<id>/index.ts`, loaded on first use). This list is the one
 * place a built-in connector is registered; the registry, the catalog and the connector types
 * follow from it. Importing this file loads no SDK.
 */
import { anthropicSpec } from "./anthropic/spec.js";
import type { AnthropicConnector } from "./anthropic/types.js";
import { awsSpec } from "./aws/spec.js";
import type { AwsConnector } from "./aws/types.js";
import { azureSpec } from "./azure/spec.js";
import type { AzureConnector } from "./azure/types.js";
import { azureOpenAISpec } from "./azure-openai/spec.js";
import type { AzureOpenAIConnector } from "./azure-openai/types.js";
import { cohereSpec } from "./cohere/spec.js";
import type { CohereConnector } from "./cohere/types.js";
import type { ConnectorDefinition } from "./define.js";
import { firecrawlSpec } from "./firecrawl/spec.js";
import type { FirecrawlConnector } from "./firecrawl/types.js";
import { gcpSpec } from "./gcp/spec.js";
import type { GcpConnector } from "./gcp/types.js";
import { geminiSpec } from "./gemini/spec.js";
import type { GeminiConnector } from "./gemini/types.js";
import type { HttpConnector } from "./http/index.js";
import { httpSpec } from "./http/spec.js";
import { mistralSpec } from "./mistral/spec.js";
import type { MistralConnector } from "./mistral/types.js";
import { openaiSpec } from "./openai/spec.js";
import type { OpenAIConnector } from "./openai/types.js";
import { OPENAI_COMPATIBLE_SPECS, type OpenAICompatibleId } from "./openai-compatible/spec.js";
import type { OpenAICompatibleConnector } from "./openai-compatible/types.js";
import type { Connector } from "./types.js";

/**
 * A connector's module as the catalog loads it, typed by the connector's SDK-free declarations
 * (`<id>/types.ts`), so the root entry's types name no SDK (see `OptionalType`).
 */
type ConnectorModule<C extends Connector> = Promise<{
  readonly definition: ConnectorDefinition<string, C, never>;
}>;

/** A host of the OpenAI-compatible family: its spec, and the family folder's definition for it. */
const openaiCompatible = <Id extends OpenAICompatibleId>(id: Id) => ({
  spec: OPENAI_COMPATIBLE_SPECS[id],
  folder: "openai-compatible",
  load: async (): ConnectorModule<OpenAICompatibleConnector> => ({
    definition: (await import("./openai-compatible/index.js")).definitions[id],
  }),
});

/**
 * The built-in connectors by id: the spec, and a loader for the connector's module. `folder`
 * names the folder of a connector that shares one with its family (default: the id).
 */
export const BUILTIN_CONNECTORS = {
  openai: { spec: openaiSpec, load: (): ConnectorModule<OpenAIConnector> => import("./openai/index.js") },
  anthropic: {
    spec: anthropicSpec,
    load: (): ConnectorModule<AnthropicConnector> => import("./anthropic/index.js"),
  },
  firecrawl: {
    spec: firecrawlSpec,
    load: (): ConnectorModule<FirecrawlConnector> => import("./firecrawl/index.js"),
  },
  gemini: { spec: geminiSpec, load: (): ConnectorModule<GeminiConnector> => import("./gemini/index.js") },
  http: { spec: httpSpec, load: (): ConnectorModule<HttpConnector> => import("./http/index.js") },
  "azure-openai": {
    spec: azureOpenAISpec,
    load: (): ConnectorModule<AzureOpenAIConnector> => import("./azure-openai/index.js"),
  },
  mistral: { spec: mistralSpec, load: (): ConnectorModule<MistralConnector> => import("./mistral/index.js") },
  cohere: { spec: cohereSpec, load: (): ConnectorModule<CohereConnector> => import("./cohere/index.js") },
  groq: openaiCompatible("groq"),
  together: openaiCompatible("together"),
  deepseek: openaiCompatible("deepseek"),
  xai: openaiCompatible("xai"),
  openrouter: openaiCompatible("openrouter"),
  aws: { spec: awsSpec, load: (): ConnectorModule<AwsConnector> => import("./aws/index.js") },
  gcp: { spec: gcpSpec, load: (): ConnectorModule<GcpConnector> => import("./gcp/index.js") },
  azure: { spec: azureSpec, load: (): ConnectorModule<AzureConnector> => import("./azure/index.js") },
} as const;

/** Id of a built-in connector. */
export type BuiltinConnectorId = keyof typeof BUILTIN_CONNECTORS;

/** The specs of the built-in connectors, by id. */
export const BUILTIN_SPECS = Object.fromEntries(
  Object.entries(BUILTIN_CONNECTORS).map(([id, entry]) => [id, entry.spec]),
) as { readonly [Id in BuiltinConnectorId]: (typeof BUILTIN_CONNECTORS)[Id]["spec"] };

/** Connector type of each built-in connector, from its module's `definition`. */
export type BuiltinConnectorTypes = {
  [Id in BuiltinConnectorId]: (typeof BUILTIN_CONNECTORS)[Id]["load"] extends () => ConnectorModule<infer C>
    ? C
    : never;
};
