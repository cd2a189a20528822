/**
 * Cohere API on loopback, from its API reference: `GET /v1/models` and `POST /v2/chat`
 * (snake_case on the wire, content as a list of text parts, `billed_units` usage),
 * `Authorization: Bearer` auth, and Cohere's error bodies (401 `{ id, message: "invalid api
 * token" }`, 400 for a request without a model).
 */
import { type LoopbackServer, presented, startLoopback } from "./base.js";

export const COHERE_MODELS = ["command-r7b-12-2024", "command-a-03-2025"];

export async function startCohereServer(options: { apiKey: string }): Promise<LoopbackServer> {
  return startLoopback(
    (request) =>
      presented(request, "authorization") === options.apiKey
        ? undefined
        : { status: 401, body: { id: "7f3c2a10-5b1e-4c8d-9a6f-0e2d4b8c1a3f", message: "invalid api token" } },
    (request) => {
      if (request.method === "GET" && request.path === "/v1/models") {
        return {
          status: 200,
          body: {
            models: COHERE_MODELS.map((name) => ({
              name,
              endpoints: ["chat"],
              finetuned: false,
              context_length: 128000,
              default_endpoints: [],
              features: ["tools"],
            })),
          },
        };
      }
      if (request.method === "POST" && request.path === "/v2/chat") {
        const body = (request.body ?? {}) as {
          model?: string;
          messages?: Array<{ role: string; content: string }>;
        };
        if (!body.model) {
          return { status: 400, body: { id: "req-1", message: "invalid request: model must be specified" } };
        }
        const last = (body.messages ?? []).filter((message) => message.role === "user").at(-1)?.content ?? "";
        return {
          status: 200,
          body: {
            id: "chat-1",
            finish_reason: "COMPLETE",
            message: { role: "assistant", content: [{ type: "text", text: `echo: ${last}` }] },
            usage: {
              billed_units: { input_tokens: last.length, output_tokens: last.length + 6 },
              tokens: { input_tokens: last.length + 10, output_tokens: last.length + 6 },
            },
          },
        };
      }
      return undefined;
    },
  );
}
