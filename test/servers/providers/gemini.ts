/**
 * Gemini API on loopback: `GET /v1beta/models` and `POST /v1beta/models/{model}:generateContent`
 * (and the same under `/v1`, which the API also serves and `@google/genai` 3.x uses), and
 * `:streamGenerateContent` as server-sent events.
 * The key is accepted in `x-goog-api-key` or `?key=`; a bad key gets the real API's answer: 400
 * INVALID_ARGUMENT with reason API_KEY_INVALID (not 401).
 */
import {
  eventStream,
  type LoopbackServer,
  presented,
  type RecordedRequest,
  type Reply,
  startLoopback,
} from "./base.js";

/** A streamed answer (`?alt=sse`): every chunk reports usage so far, the last one the final figures. */
function streamedContent(model: string, prompt: string): Reply {
  const chunk = (text: string, candidatesTokenCount: number, finishReason?: string) => ({
    data: {
      candidates: [
        {
          content: { parts: [{ text }], role: "model" },
          index: 0,
          ...(finishReason ? { finishReason } : {}),
        },
      ],
      usageMetadata: {
        promptTokenCount: prompt.length,
        candidatesTokenCount,
        totalTokenCount: prompt.length + candidatesTokenCount,
      },
      modelVersion: model,
    },
  });
  return eventStream([chunk("echo: ", 2), chunk(prompt, prompt.length + 6, "STOP")]);
}

export const GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro"];

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export function geminiError(status: number, sent = ""): Reply {
  return {
    status,
    body: {
      error: {
        code: status,
        message: `Request failed for key ${sent}`,
        status: STATUS_NAMES[status] ?? "UNKNOWN",
      },
    },
  };
}

function sentKey(request: RecordedRequest): string | undefined {
  return presented(request, "x-goog-api-key") ?? request.query.get("key") ?? undefined;
}

export async function startGeminiServer(options: {
  apiKey: string;
  echoKey?: boolean;
}): Promise<LoopbackServer> {
  return startLoopback(
    (request) =>
      sentKey(request) === options.apiKey
        ? undefined
        : {
            status: 400,
            body: {
              error: {
                code: 400,
                message: `API key not valid. Please pass a valid API key.${options.echoKey ? ` (${sentKey(request)})` : ""}`,
                status: "INVALID_ARGUMENT",
                details: [
                  {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    reason: "API_KEY_INVALID",
                    domain: "googleapis.com",
                    metadata: { service: "generativelanguage.googleapis.com" },
                  },
                ],
              },
            },
          },
    (request) => {
      if (request.method === "GET" && /^\/v1(beta)?\/models$/.test(request.path)) {
        return {
          status: 200,
          body: {
            models: GEMINI_MODELS.map((id) => ({
              name: `models/${id}`,
              displayName: id.toUpperCase(),
              supportedGenerationMethods: ["generateContent"],
            })),
          },
        };
      }
      const generate = /^\/v1(?:beta)?\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(
        request.path,
      );
      if (request.method === "POST" && generate) {
        const body = (request.body ?? {}) as { contents?: Array<{ parts?: Array<{ text?: string }> }> };
        const prompt =
          body.contents
            ?.at(-1)
            ?.parts?.map((part) => part.text ?? "")
            .join("") ?? "";
        if (generate[2] === "streamGenerateContent") return streamedContent(generate[1] as string, prompt);
        return {
          status: 200,
          body: {
            candidates: [
              {
                content: { parts: [{ text: `echo: ${prompt}` }], role: "model" },
                finishReason: "STOP",
                index: 0,
              },
            ],
            usageMetadata: {
              promptTokenCount: prompt.length,
              candidatesTokenCount: prompt.length + 6,
              totalTokenCount: 2 * prompt.length + 6,
            },
            modelVersion: generate[1],
          },
        };
      }
      return undefined;
    },
  );
}
