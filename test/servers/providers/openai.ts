/**
 * OpenAI API on loopback: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/embeddings`
 * (float or base64 encoding, as the SDK asks), `Authorization: Bearer` auth, OpenAI-shaped error
 * bodies. `echoKey` makes error bodies repeat the key the client sent (the real API echoes a
 * partly masked key), to prove scrubbing.
 */
import {
  eventStream,
  type LoopbackServer,
  presented,
  type RecordedRequest,
  type Reply,
  startLoopback,
} from "./base.js";

export const OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"];

export function openaiError(status: number, sent = ""): Reply {
  const shapes: Record<number, { message: string; type: string; code: string | null }> = {
    401: {
      message: `Incorrect API key provided: ${sent}.`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    },
    403: {
      message: `Project does not have access (key ${sent}).`,
      type: "invalid_request_error",
      code: "unsupported_country_region_territory",
    },
    404: { message: "The model does not exist", type: "invalid_request_error", code: "model_not_found" },
    429: { message: `Rate limit reached for key ${sent}`, type: "requests", code: "rate_limit_exceeded" },
  };
  const shape = shapes[status] ?? {
    message: `The server had an error (key ${sent})`,
    type: "server_error",
    code: null,
  };
  return { status, body: { error: { ...shape, param: null } } };
}

function embedding(text: string, index: number): number[] {
  return [text.length, index, 0.5];
}

/**
 * An OpenAI chat completion answering the last user message with `echo: <message>`; streamed
 * as chunks when the request asks (`stream`), with a last usage chunk when it sets
 * `stream_options.include_usage`.
 */
export function chatCompletion(body: Record<string, unknown>): Reply {
  const messages = (body.messages ?? []) as Array<{ role: string; content: string }>;
  const last = messages.filter((message) => message.role === "user").at(-1)?.content ?? "";
  if (body.stream === true) return streamedCompletion(body, last);
  return {
    status: 200,
    body: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1700000000,
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: `echo: ${last}`, refusal: null },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: last.length,
        completion_tokens: last.length + 6,
        total_tokens: 2 * last.length + 6,
      },
    },
  };
}

function streamedCompletion(body: Record<string, unknown>, last: string): Reply {
  const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (delta: object, finish: string | null) => ({
    data: {
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(withUsage ? { usage: null } : {}),
    },
  });
  const usage = {
    data: {
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: body.model,
      choices: [],
      usage: {
        prompt_tokens: last.length,
        completion_tokens: last.length + 6,
        total_tokens: 2 * last.length + 6,
      },
    },
  };
  return eventStream([
    chunk({ role: "assistant", content: "" }, null),
    chunk({ content: "echo: " }, null),
    chunk({ content: last }, null),
    chunk({}, "stop"),
    ...(withUsage ? [usage] : []),
    { data: "[DONE]" },
  ]);
}

export async function startOpenAIServer(options: {
  apiKey: string;
  echoKey?: boolean;
}): Promise<LoopbackServer> {
  const echo = (request: RecordedRequest) =>
    options.echoKey ? (presented(request, "authorization") ?? "") : "sk-...xxxx";
  return startLoopback(
    (request) =>
      presented(request, "authorization") === options.apiKey ? undefined : openaiError(401, echo(request)),
    (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (request.method === "GET" && request.path === "/v1/models") {
        return {
          status: 200,
          body: {
            object: "list",
            data: OPENAI_MODELS.map((id) => ({
              id,
              object: "model",
              created: 1700000000,
              owned_by: "openai",
            })),
          },
        };
      }
      if (request.method === "POST" && request.path === "/v1/chat/completions") return chatCompletion(body);
      if (request.method === "POST" && request.path === "/v1/embeddings") {
        const input = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
        const base64 = body.encoding_format === "base64";
        const data = input.map((text, index) => {
          const vector = embedding(text, index);
          return {
            object: "embedding",
            index,
            embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
          };
        });
        // why: answer out of order, as the API may; the connector must order by index.
        return {
          status: 200,
          body: {
            object: "list",
            data: data.reverse(),
            model: body.model,
            usage: { prompt_tokens: 3, total_tokens: 3 },
          },
        };
      }
      return undefined;
    },
  );
}
