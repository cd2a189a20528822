/** SDK-free types of the azure-openai connector: what `getConnector("azure-openai", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("azure-openai", …)` returns. `client` is the `AzureOpenAI` instance. */
export type AzureOpenAIConnector = DefinedConnector<
  OptionalType<"openai:AzureOpenAI">,
  TextGenerationMethods
>;
