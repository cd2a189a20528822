/** SDK-free types of the mistral connector: what `getConnector("mistral", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("mistral", …)` returns. `client` is the `Mistral` instance. */
export type MistralConnector = DefinedConnector<
  OptionalType<"@mistralai/mistralai:Mistral">,
  TextGenerationMethods
>;
