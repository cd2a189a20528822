/**
 * The chat and model-listing calls every connector on the `openai` SDK shares (OpenAI, Azure
 * OpenAI and the OpenAI-compatible hosts): one chat completion for a prompt, and the model ids a
 * key can use, whichever list shape the host answers with.
 */
import type OpenAI from "openai";
import type { ConnectorSetupContext } from "../define.js";
import type { GenerateTextOptions, GenerateTextResult, ModelInfo } from "../types.js";

/**
 * The client options every `openai` SDK client of a connector takes from the connector: its
 * `fetch`, `timeout`, `maxRetries`, and `project: null` so `OPENAI_PROJECT_ID` is never read.
 */
export function clientOptions(context: ConnectorSetupContext<never> | ConnectorSetupContext<unknown>) {
  const { options } = context;
  return {
    project: null,
    fetch: context.fetch,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  };
}

/** One chat completion for `prompt` on `client`, as a `GenerateTextResult`. */
export async function chatText(
  client: OpenAI,
  signal: AbortSignal,
  defaultModel: string,
  prompt: string,
  generate: GenerateTextOptions = {},
): Promise<GenerateTextResult> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (generate.system) messages.push({ role: "system", content: generate.system });
  messages.push({ role: "user", content: prompt });
  const completion = await client.chat.completions.create(
    {
      model: generate.model ?? defaultModel,
      messages,
      ...(generate.maxTokens !== undefined ? { max_completion_tokens: generate.maxTokens } : {}),
      ...(generate.temperature !== undefined ? { temperature: generate.temperature } : {}),
    },
    { signal },
  );
  const choice = completion.choices[0];
  return {
    text: choice?.message?.content ?? "",
    model: completion.model,
    ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
    ...(completion.usage
      ? {
          usage: {
            inputTokens: completion.usage.prompt_tokens,
            outputTokens: completion.usage.completion_tokens,
          },
        }
      : {}),
  };
}

/**
 * The model ids a `GET <path>` answer lists: OpenAI's `{ data: [{ id }] }` or a bare array (as
 * Together answers). Any other authenticated answer (e.g. OpenRouter's key info) lists none.
 */
export function listedModels(body: unknown): ModelInfo[] {
  const items = Array.isArray(body) ? body : (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(items)) return [];
  return items
    .map((item) => (item as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === "string")
    .map((id) => ({ id }));
}
