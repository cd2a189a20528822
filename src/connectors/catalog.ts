/**
 * The built-in connectors, assembled from their folders: each folder holds its SDK-free spec
 * (`<id>/spec.ts`) and its connector (`<id>/index.ts`, loaded on first use). This list is the one
 * place a built-in connector is registered; the registry, the catalog and the connector types
 * follow from it. Importing this file loads no SDK.
 */
import { anthropicSpec } from "./anthropic/spec.js";
import { awsSpec } from "./aws/spec.js";
import { azureSpec } from "./azure/spec.js";
import { azureOpenAISpec } from "./azure-openai/spec.js";
import { cohereSpec } from "./cohere/spec.js";
import { firecrawlSpec } from "./firecrawl/spec.js";
import { gcpSpec } from "./gcp/spec.js";
import { geminiSpec } from "./gemini/spec.js";
import { httpSpec } from "./http/spec.js";
import { mistralSpec } from "./mistral/spec.js";
import { openaiSpec } from "./openai/spec.js";
import { OPENAI_COMPATIBLE_SPECS, type OpenAICompatibleId } from "./openai-compatible/spec.js";

/** A host of the OpenAI-compatible family: its spec, and the family folder's definition for it. */
const openaiCompatible = <Id extends OpenAICompatibleId>(id: Id) => ({
  spec: OPENAI_COMPATIBLE_SPECS[id],
  folder: "openai-compatible",
  load: async () => ({ definition: (await import("./openai-compatible/index.js")).definitions[id] }),
});

/**
 * The built-in connectors by id: the spec, and a loader for the connector's module. `folder`
 * names the folder of a connector that shares one with its family (default: the id).
 */
export const BUILTIN_CONNECTORS = {
  openai: { spec: openaiSpec, load: () => import("./openai/index.js") },
  anthropic: { spec: anthropicSpec, load: () => import("./anthropic/index.js") },
  firecrawl: { spec: firecrawlSpec, load: () => import("./firecrawl/index.js") },
  gemini: { spec: geminiSpec, load: () => import("./gemini/index.js") },
  http: { spec: httpSpec, load: () => import("./http/index.js") },
  "azure-openai": { spec: azureOpenAISpec, load: () => import("./azure-openai/index.js") },
  mistral: { spec: mistralSpec, load: () => import("./mistral/index.js") },
  cohere: { spec: cohereSpec, load: () => import("./cohere/index.js") },
  groq: openaiCompatible("groq"),
  together: openaiCompatible("together"),
  deepseek: openaiCompatible("deepseek"),
  xai: openaiCompatible("xai"),
  openrouter: openaiCompatible("openrouter"),
  aws: { spec: awsSpec, load: () => import("./aws/index.js") },
  gcp: { spec: gcpSpec, load: () => import("./gcp/index.js") },
  azure: { spec: azureSpec, load: () => import("./azure/index.js") },
} as const;

/** Id of a built-in connector. */
export type BuiltinConnectorId = keyof typeof BUILTIN_CONNECTORS;

/** The specs of the built-in connectors, by id. */
export const BUILTIN_SPECS = Object.fromEntries(
  Object.entries(BUILTIN_CONNECTORS).map(([id, entry]) => [id, entry.spec]),
) as { readonly [Id in BuiltinConnectorId]: (typeof BUILTIN_CONNECTORS)[Id]["spec"] };

/** Connector type of each built-in connector, from its module's `definition`. */
export type BuiltinConnectorTypes = {
  [Id in BuiltinConnectorId]: Awaited<
    ReturnType<Awaited<ReturnType<(typeof BUILTIN_CONNECTORS)[Id]["load"]>>["definition"]["create"]>
  >;
};
