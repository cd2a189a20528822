/** SDK-free types of the OpenAI-compatible connectors: what `getConnector("groq" | "together" | …, …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("groq" | "together" | …, …)` returns. `client` is the `OpenAI` instance. */
export type OpenAICompatibleConnector = DefinedConnector<
  OptionalType<"openai:OpenAI">,
  TextGenerationMethods
>;
