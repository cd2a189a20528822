/** SDK-free types of the anthropic connector: what `getConnector("anthropic", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("anthropic", …)` returns. `client` is the `Anthropic` instance. */
export type AnthropicConnector = DefinedConnector<
  OptionalType<"@anthropic-ai/sdk:Anthropic">,
  TextGenerationMethods
>;
