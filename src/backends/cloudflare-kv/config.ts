/**
 * The Cloudflare KV backend's settings: the transport (a binding, or the REST API with its
 * account, namespace and token from the options or the environment), the key layout, retention,
 * the expiry grace and retries, checked once at creation.
 */

import { maxVersionsOption } from "../../core/backend-support.js";
import { ConfigurationError } from "../../core/errors.js";
import { MIN_KEY_LENGTH } from "../../core/key-encoding.js";
import { type RetryOptions, resolveRetryOptions } from "../../core/retry.js";
import { Secret } from "../../core/secret.js";
import type { Environment } from "../../kit/definition.js";
import { fetchSender, undiciSender } from "../../kit/http-exchange.js";
import { bindingTransport } from "./binding.js";
import { NAME } from "./errors.js";
import { DEFAULT_API_BASE_URL, httpTransport } from "./http.js";
import type { CloudflareKvBackendOptions, CloudflareKvHttpOptions } from "./index.js";
import { DEFAULT_PREFIX, type KeyLayout, keyLayout } from "./layout.js";
import type { KvTransport } from "./transport.js";

/** The default `expiryGraceSeconds`: 30 days. */
export const DEFAULT_EXPIRY_GRACE_SECONDS = 30 * 24 * 60 * 60;
/** The default `retry`: KV allows one write a second per key, so retries span about that. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  timeoutMs: 10_000,
};

/** The variables `http` mode reads. */
export const VARIABLES = [
  { name: "CLOUDFLARE_ACCOUNT_ID", description: "Account id that owns the KV namespace.", required: true },
  { name: "CLOUDFLARE_KV_NAMESPACE_ID", description: "Id of the KV namespace.", required: true },
  {
    name: "CLOUDFLARE_API_TOKEN",
    description: "API token with Workers KV Storage read and write on the account.",
    required: true,
  },
  {
    name: "CLOUDFLARE_API_BASE_URL",
    description: `REST API base URL (default ${DEFAULT_API_BASE_URL}).`,
    required: false,
  },
  {
    name: "CREDKIT_CLOUDFLARE_KV_PREFIX",
    description: `Prefix of every key credkit writes (default ${DEFAULT_PREFIX}).`,
    required: false,
  },
] as const;

export function missingOf(values: Readonly<Record<string, unknown>>): string[] {
  return VARIABLES.filter((variable) => variable.required && !values[variable.name]).map(
    (variable) => variable.name,
  );
}

function processEnv(): Environment {
  const holder = globalThis as { process?: { env?: Environment } };
  return holder.process?.env ?? {};
}

function httpTransportFrom(
  options: CloudflareKvHttpOptions,
  env: Environment,
  timeoutMs: number,
): KvTransport {
  const token = options.apiToken ?? env.CLOUDFLARE_API_TOKEN;
  const settings = {
    CLOUDFLARE_ACCOUNT_ID: options.accountId ?? env.CLOUDFLARE_ACCOUNT_ID,
    CLOUDFLARE_KV_NAMESPACE_ID: options.namespaceId ?? env.CLOUDFLARE_KV_NAMESPACE_ID,
    CLOUDFLARE_API_TOKEN: token instanceof Secret ? token.reveal() : token,
  };
  const missing = missingOf(settings);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `Cloudflare KV (http mode) needs ${missing.join(", ")} (options accountId, namespaceId, apiToken), or pass a binding.`,
      { missing },
      { source: NAME },
    );
  }
  return httpTransport({
    accountId: settings.CLOUDFLARE_ACCOUNT_ID as string,
    namespaceId: settings.CLOUDFLARE_KV_NAMESPACE_ID as string,
    apiToken: settings.CLOUDFLARE_API_TOKEN as string,
    endpoint: options.endpoint ?? env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL,
    send: options.fetch ? fetchSender(options.fetch) : undiciSender,
    timeoutMs,
  });
}

/** The options `cloudflareKvBackend` resolves once, at creation. */
export interface KvSettings {
  readonly transport: KvTransport;
  readonly layout: KeyLayout;
  /** Versions kept per credential. */
  readonly maxVersions: number;
  /** Seconds a record stays in KV after its `expiresAt`; `false`: no KV expiry. */
  readonly grace: number | false;
  readonly retry: RetryOptions;
}

/** Checks and resolves the options; bad or missing values are `ConfigurationError`s. */
export function kvSettings(options: CloudflareKvBackendOptions): KvSettings {
  const env = options.binding ? {} : ((options as CloudflareKvHttpOptions).env ?? processEnv());
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const transport = options.binding
    ? bindingTransport(options.binding, options.bulkGet ?? true)
    : httpTransportFrom(options, env, resolveRetryOptions(retry).timeoutMs);
  const layout = keyLayout(options.prefix ?? env.CREDKIT_CLOUDFLARE_KV_PREFIX ?? DEFAULT_PREFIX);
  if (layout.maxKeyLength < MIN_KEY_LENGTH) {
    throw new ConfigurationError(
      `The KV key prefix leaves ${layout.maxKeyLength} bytes for keys; credkit needs ${MIN_KEY_LENGTH}. Use a shorter prefix.`,
      { missing: ["prefix"] },
      { source: NAME },
    );
  }
  const maxVersions = maxVersionsOption(options.maxVersions, NAME) ?? 100;
  const grace = options.expiryGraceSeconds ?? DEFAULT_EXPIRY_GRACE_SECONDS;
  if (grace !== false && !(Number.isInteger(grace) && grace >= 0)) {
    throw new ConfigurationError(
      "expiryGraceSeconds must be a whole number of seconds (0 or more), or false.",
      {},
      { source: NAME },
    );
  }
  return { transport, layout, maxVersions, grace, retry };
}
