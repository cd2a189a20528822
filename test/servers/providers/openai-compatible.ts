/**
 * The OpenAI-compatible hosts on loopback, each from its API reference: Groq (`/openai/v1`),
 * Together AI (`/v1`, models as a bare array), DeepSeek (`/v1`), xAI (`/v1`, a wrong key is a
 * 400 with a string `error`), OpenRouter (`/api/v1`, `GET /key` for the key's own info). Each
 * serves `Authorization: Bearer` auth, the host's model list and chat completions, and answers a
 * wrong key with the host's own status and error body.
 */
import type { OpenAICompatibleId } from "../../../src/connectors/openai-compatible/spec.js";
import { type LoopbackServer, presented, type Reply, startLoopback } from "./base.js";
import { chatCompletion } from "./openai.js";

interface HostWire {
  /** The API path prefix, e.g. `/openai/v1`. */
  readonly prefix: string;
  /** The reply to a wrong key. */
  readonly refused: Reply;
  /** The reply to the verification call. */
  readonly verified: (model: string) => Reply;
}

const modelList = (id: string, owner: string): Reply => ({
  status: 200,
  body: { object: "list", data: [{ id, object: "model", created: 1700000000, owned_by: owner }] },
});

/** Each host's wire facts. */
export const HOST_WIRE: Record<OpenAICompatibleId, HostWire> = {
  groq: {
    prefix: "/openai/v1",
    refused: {
      status: 401,
      body: { error: { message: "Invalid API Key", type: "invalid_request_error", code: "invalid_api_key" } },
    },
    verified: (id) => modelList(id, "Meta"),
  },
  together: {
    prefix: "/v1",
    refused: {
      status: 401,
      body: {
        error: {
          message:
            "Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      },
    },
    verified: (id) => ({
      status: 200,
      body: [
        { id, object: "model", created: 1700000000, type: "chat", display_name: id, organization: "Meta" },
      ],
    }),
  },
  deepseek: {
    prefix: "/v1",
    refused: {
      status: 401,
      body: {
        error: {
          message: "Authentication Fails, Your api key: ****abcd is invalid",
          type: "authentication_error",
          param: null,
          code: "invalid_request_error",
        },
      },
    },
    verified: (id) => modelList(id, "deepseek"),
  },
  xai: {
    prefix: "/v1",
    refused: {
      status: 400,
      body: {
        code: "Client specified an invalid argument",
        error: "Incorrect API key provided: xa***cd. You can obtain an API key from https://console.x.ai.",
      },
    },
    verified: (id) => modelList(id, "xai"),
  },
  openrouter: {
    prefix: "/api/v1",
    refused: { status: 401, body: { error: { message: "User not found.", code: 401 } } },
    verified: () => ({
      status: 200,
      body: {
        data: {
          label: "sk-or-v1-abc...xyz",
          limit: null,
          usage: 0,
          is_free_tier: false,
          limit_remaining: null,
          rate_limit: { requests: 20, interval: "10s" },
        },
      },
    }),
  },
};

/** Starts host `id`'s stand-in, accepting `apiKey` only; it lists `model`. */
export async function startOpenAICompatibleServer(options: {
  id: OpenAICompatibleId;
  apiKey: string;
  model?: string;
}): Promise<LoopbackServer> {
  const wire = HOST_WIRE[options.id];
  const model = options.model ?? "test-model";
  const verificationPath = options.id === "openrouter" ? "/key" : "/models";
  return startLoopback(
    (request) => (presented(request, "authorization") === options.apiKey ? undefined : wire.refused),
    (request) => {
      if (request.method === "GET" && request.path === `${wire.prefix}${verificationPath}`) {
        return wire.verified(model);
      }
      if (request.method === "POST" && request.path === `${wire.prefix}/chat/completions`) {
        return chatCompletion((request.body ?? {}) as Record<string, unknown>);
      }
      return undefined;
    },
  );
}
