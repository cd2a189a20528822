/** SDK-free types of the cohere connector: what `getConnector("cohere", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("cohere", …)` returns. `client` is the `CohereClientV2` instance. */
export type CohereConnector = DefinedConnector<
  OptionalType<"cohere-ai:CohereClientV2">,
  TextGenerationMethods
>;
