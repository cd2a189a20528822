/**
 * Mistral AI API on loopback, from its API reference: `GET /v1/models` (model cards with
 * capabilities), `POST /v1/chat/completions` (snake_case body), `Authorization: Bearer` auth, and
 * Mistral's error bodies (401 `{ message: "Unauthorized", request_id }`, 422 validation detail).
 */
import { type LoopbackServer, presented, startLoopback } from "./base.js";

export const MISTRAL_MODELS = ["mistral-small-latest", "mistral-large-latest"];

function modelCard(id: string) {
  return {
    id,
    object: "model",
    created: 1700000000,
    owned_by: "mistralai",
    capabilities: {
      completion_chat: true,
      completion_fim: false,
      function_calling: true,
      fine_tuning: false,
      vision: false,
      classification: false,
    },
    name: id,
    description: `${id} model`,
    max_context_length: 32768,
    aliases: [],
    deprecation: null,
    default_model_temperature: 0.3,
    type: "base",
  };
}

export async function startMistralServer(options: { apiKey: string }): Promise<LoopbackServer> {
  return startLoopback(
    (request) =>
      presented(request, "authorization") === options.apiKey
        ? undefined
        : { status: 401, body: { message: "Unauthorized", request_id: "4f0a1c9e2b7d4e8f" } },
    (request) => {
      if (request.method === "GET" && request.path === "/v1/models") {
        return { status: 200, body: { object: "list", data: MISTRAL_MODELS.map(modelCard) } };
      }
      if (request.method === "POST" && request.path === "/v1/chat/completions") {
        const body = (request.body ?? {}) as {
          model?: string;
          messages?: Array<{ role: string; content: string }>;
        };
        if (!body.model || !Array.isArray(body.messages)) {
          return {
            status: 422,
            body: {
              object: "error",
              message: { detail: [{ type: "missing", loc: ["body", "model"], msg: "Field required" }] },
              type: "invalid_request_error",
              param: null,
              code: null,
            },
          };
        }
        const last = body.messages.filter((message) => message.role === "user").at(-1)?.content ?? "";
        return {
          status: 200,
          body: {
            id: "cmpl-1",
            object: "chat.completion",
            model: body.model,
            created: 1700000000,
            usage: {
              prompt_tokens: last.length,
              completion_tokens: last.length + 6,
              total_tokens: 2 * last.length + 6,
            },
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: `echo: ${last}`, tool_calls: null, prefix: false },
                finish_reason: "stop",
              },
            ],
          },
        };
      }
      return undefined;
    },
  );
}
