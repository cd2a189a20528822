/** SDK-free types of the gemini connector: what `getConnector("gemini", …)` returns names no SDK. */
import type { OptionalType } from "../../core/optional-types.js";
import type { DefinedConnector } from "../define.js";
import type { TextGenerationMethods } from "../types.js";

/** The connector `getConnector("gemini", …)` returns. `client` is the `GoogleGenAI` instance. */
export type GeminiConnector = DefinedConnector<
  OptionalType<"@google/genai:GoogleGenAI">,
  TextGenerationMethods
>;
