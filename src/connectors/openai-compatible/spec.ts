/**
 * The OpenAI-compatible hosts: providers that speak the OpenAI API, reached through the `openai`
 * SDK with their own base URL. Each host is data (base URL, key format, verification call,
 * default model, how it refuses a bad key); one connector implementation serves them all, and
 * each has its own catalog entry. Pure data: loads no SDK.
 */
import { apiKeyField, baseURLField, modelField } from "../fields.js";
import { openaiSpec } from "../openai/spec.js";
import type { ConnectorSpec, VerificationSpec } from "../types.js";

/** What sets one OpenAI-compatible host apart. */
export interface OpenAICompatibleHost {
  readonly displayName: string;
  readonly description: string;
  /** The API base URL, ending before `/chat/completions`. */
  readonly baseURL: string;
  /** The key format, as a regular expression source. */
  readonly keyPattern: string;
  readonly keyExample: string;
  readonly keyDescription: string;
  /** The cheapest call that needs the key (`GET`, relative to the base URL). */
  readonly verification: VerificationSpec;
  /** Model used when neither the call nor the connection names one. */
  readonly defaultModel: string;
  /**
   * A status other than 401 the host answers a wrong key with, and the message that tells it apart
   * (e.g. xAI's 400 "Incorrect API key provided").
   */
  readonly invalidKey?: { readonly status: number; readonly message: string };
  readonly docsUrl: string;
}

const listModels: VerificationSpec = {
  method: "GET",
  path: "/models",
  description: "Lists the models the key can use.",
};

/** The hosts by connector id. */
export const OPENAI_COMPATIBLE_HOSTS = {
  groq: {
    displayName: "Groq",
    description: "Groq's OpenAI-compatible API: fast open-model inference.",
    baseURL: "https://api.groq.com/openai/v1",
    keyPattern: "^gsk_[A-Za-z0-9]{20,}$",
    keyExample: "gsk_...",
    keyDescription: "Key from console.groq.com/keys (gsk_...).",
    verification: listModels,
    defaultModel: "llama-3.1-8b-instant",
    docsUrl: "https://console.groq.com/keys",
  },
  together: {
    displayName: "Together AI",
    description: "Together AI's OpenAI-compatible API: open models, serverless.",
    baseURL: "https://api.together.xyz/v1",
    keyPattern: "^(tgp_v1_[A-Za-z0-9_-]{20,}|[a-f0-9]{64})$",
    keyExample: "tgp_v1_...",
    keyDescription: "Key from api.together.ai/settings/api-keys (tgp_v1_..., or 64 hex digits).",
    verification: listModels,
    defaultModel: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    docsUrl: "https://api.together.ai/settings/api-keys",
  },
  deepseek: {
    displayName: "DeepSeek",
    description: "DeepSeek's OpenAI-compatible API: deepseek-chat and deepseek-reasoner.",
    baseURL: "https://api.deepseek.com/v1",
    keyPattern: "^sk-[A-Za-z0-9]{20,}$",
    keyExample: "sk-...",
    keyDescription: "Key from platform.deepseek.com/api_keys (sk-...).",
    verification: listModels,
    defaultModel: "deepseek-chat",
    docsUrl: "https://platform.deepseek.com/api_keys",
  },
  xai: {
    displayName: "xAI",
    description: "xAI's OpenAI-compatible API: Grok models.",
    baseURL: "https://api.x.ai/v1",
    keyPattern: "^xai-[A-Za-z0-9]{20,}$",
    keyExample: "xai-...",
    keyDescription: "Key from console.x.ai (xai-...).",
    verification: listModels,
    defaultModel: "grok-3-mini",
    invalidKey: { status: 400, message: "Incorrect API key" },
    docsUrl: "https://console.x.ai",
  },
  openrouter: {
    displayName: "OpenRouter",
    description: "OpenRouter's OpenAI-compatible API: many providers' models behind one key.",
    baseURL: "https://openrouter.ai/api/v1",
    keyPattern: "^sk-or-(v1-)?[A-Za-z0-9]{20,}$",
    keyExample: "sk-or-v1-...",
    keyDescription: "Key from openrouter.ai/settings/keys (sk-or-v1-...).",
    // why: OpenRouter lists models without a key; its key endpoint is the cheapest call that needs one.
    verification: { method: "GET", path: "/key", description: "Reads the key's own limits and usage." },
    defaultModel: "openai/gpt-4o-mini",
    docsUrl: "https://openrouter.ai/settings/keys",
  },
} as const satisfies Record<string, OpenAICompatibleHost>;

/** Id of an OpenAI-compatible host. */
export type OpenAICompatibleId = keyof typeof OPENAI_COMPATIBLE_HOSTS;

/** The catalog entry of one host. */
export function openaiCompatibleSpec<Id extends OpenAICompatibleId>(id: Id): ConnectorSpec<Id> {
  const host: OpenAICompatibleHost = OPENAI_COMPATIBLE_HOSTS[id];
  return {
    id,
    displayName: host.displayName,
    category: "ai_ml",
    description: host.description,
    fields: [apiKeyField(host.keyPattern, host.keyExample, host.keyDescription), modelField, baseURLField],
    sdk: openaiSpec.sdk,
    baseURL: host.baseURL,
    verification: host.verification,
    docsUrl: host.docsUrl,
    // why: every host speaks the OpenAI wire, Bearer key and usage fields alike.
    auth: openaiSpec.auth,
    usage: openaiSpec.usage,
  };
}

/** The catalog entries of the hosts, by id. */
export const OPENAI_COMPATIBLE_SPECS = {
  groq: openaiCompatibleSpec("groq"),
  together: openaiCompatibleSpec("together"),
  deepseek: openaiCompatibleSpec("deepseek"),
  xai: openaiCompatibleSpec("xai"),
  openrouter: openaiCompatibleSpec("openrouter"),
} as const;
