/**
 * Anthropic API on loopback: `GET /v1/models`, `POST /v1/messages`. Accepts the key in
 * `x-api-key` or `Authorization: Bearer` (tests read which one the SDK sent) and requires an
 * `anthropic-version` header, as the API does. Anthropic-shaped error bodies.
 */
import {
  eventStream,
  type LoopbackServer,
  presented,
  type RecordedRequest,
  type Reply,
  startLoopback,
} from "./base.js";

export const ANTHROPIC_MODELS = ["claude-3-haiku-20240307", "claude-3-5-haiku-latest"];

export function anthropicError(status: number, sent = ""): Reply {
  const types: Record<number, string> = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
  };
  const message = status === 401 ? `invalid x-api-key ${sent}` : `request failed for key ${sent}`;
  return {
    status,
    body: { type: "error", error: { type: types[status] ?? "api_error", message }, request_id: "req_1" },
  };
}

export function sentKey(request: RecordedRequest): string | undefined {
  return presented(request, "x-api-key") ?? presented(request, "authorization");
}

/** A streamed message: input usage in `message_start`, cumulative output usage in `message_delta`. */
function streamedMessage(model: string, last: string): Reply {
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: last.length, output_tokens: 1 },
  };
  const named = (event: string, data: object) => ({ event, data: { type: event, ...data } });
  return eventStream([
    named("message_start", { message }),
    named("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    named("content_block_delta", { index: 0, delta: { type: "text_delta", text: `echo: ${last}` } }),
    named("content_block_stop", { index: 0 }),
    named("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: last.length + 6 },
    }),
    named("message_stop", {}),
  ]);
}

export async function startAnthropicServer(options: {
  apiKey: string;
  echoKey?: boolean;
}): Promise<LoopbackServer> {
  return startLoopback(
    (request) => {
      if (!request.headers["anthropic-version"]) {
        return {
          status: 400,
          body: {
            type: "error",
            error: { type: "invalid_request_error", message: "anthropic-version: header is required" },
          },
        };
      }
      return sentKey(request) === options.apiKey
        ? undefined
        : anthropicError(401, options.echoKey ? (sentKey(request) ?? "") : "");
    },
    (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (request.method === "GET" && request.path === "/v1/models") {
        return {
          status: 200,
          body: {
            data: ANTHROPIC_MODELS.map((id) => ({
              type: "model",
              id,
              display_name: id.toUpperCase(),
              created_at: "2024-03-07T00:00:00Z",
            })),
            has_more: false,
            first_id: ANTHROPIC_MODELS[0],
            last_id: ANTHROPIC_MODELS.at(-1),
          },
        };
      }
      if (request.method === "POST" && request.path === "/v1/messages") {
        if (typeof body.max_tokens !== "number") {
          return {
            status: 400,
            body: {
              type: "error",
              error: { type: "invalid_request_error", message: "max_tokens: Field required" },
            },
          };
        }
        const messages = (body.messages ?? []) as Array<{ content: string }>;
        const last = messages.at(-1)?.content ?? "";
        if (body.stream === true) return streamedMessage(String(body.model), last);
        return {
          status: 200,
          body: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            model: body.model,
            content: [{ type: "text", text: `echo: ${last}` }],
            stop_reason: "end_turn",
            stop_sequence: null,
            usage: { input_tokens: last.length, output_tokens: last.length + 6 },
          },
        };
      }
      return undefined;
    },
  );
}
