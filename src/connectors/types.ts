/**
 * The shapes every connector shares: the declarative spec, the credentials a connector takes, the
 * options passed through to the provider SDK, the test-connection result and the connector
 * object itself. Type-only: importing this file loads no SDK.
 */
import type { LibOption } from "../core/import-optional.js";
import type { Secret } from "../core/secret.js";
import type { EgressOptions } from "./egress.js";

/** Groups connectors in a catalog UI. Known categories, or any string of your own. */
export type ConnectorCategory = "ai_ml" | "data_extraction" | "http" | (string & {});

/** One credential or setting a connector reads. */
export interface CredentialFieldSpec {
  /** Canonical field name, e.g. `apiKey`. Lookups ignore case, `_` and `-`: `api_key` matches. */
  readonly name: string;
  /** Label for forms. */
  readonly label: string;
  /** Whether the value is secret: stored encrypted, masked in views, scrubbed from errors. */
  readonly secret: boolean;
  /** Whether the connector cannot work without it. */
  readonly required: boolean;
  /** Other names accepted for the field (matched the same way as `name`). */
  readonly aliases?: readonly string[] | undefined;
  /**
   * The format a value must have, as a regular expression source (e.g. `^sk-`). Checked by
   * `testConnection()` before any network call.
   */
  readonly pattern?: string | undefined;
  /** A placeholder showing the format; never a real value. */
  readonly example?: string | undefined;
  /** Help text for forms: where the value comes from, what it looks like. */
  readonly description?: string | undefined;
}

/** How `testConnection()` verifies a credential: the cheapest authenticated call. */
export interface VerificationSpec {
  /** HTTP method of the verification call. */
  readonly method: "GET" | "POST";
  /** Path of the call, relative to the API base URL. */
  readonly path: string;
  /** What the call does, for people. */
  readonly description: string;
}

/**
 * How the provider's API takes the key on each request: the rule a brokered connector
 * (`credkit/brokered`) applies at send time, declared once per connector.
 */
export interface AuthHeaderSpec {
  /** Header name, e.g. `authorization`, `x-api-key`, `x-goog-api-key`. */
  readonly header: string;
  /** Text before the key, e.g. `Bearer `. @default "" */
  readonly prefix?: string;
  /** The secret field whose value goes in the header. @default "apiKey" */
  readonly field?: string;
}

/**
 * Where a provider reports usage and where a request states its limits, as dotted paths into
 * the JSON bodies (e.g. `usage.prompt_tokens`): what brokered metering reads. Pure data.
 */
export interface UsageSpec {
  /** Paths of the input-token count in a response body, first present wins. */
  readonly inputTokens?: readonly string[];
  /** Paths of the output-token count in a response body, first present wins. */
  readonly outputTokens?: readonly string[];
  /** Paths of the credits a call used (Firecrawl), first present wins. */
  readonly credits?: readonly string[];
  /** Paths of the most output tokens a request allows, in the request body. */
  readonly maxOutputTokens?: readonly string[];
  /** Path of the model id in the request body. */
  readonly model?: string;
  /** A regular expression source whose first group is the model id in the request path (Gemini). */
  readonly modelInPath?: string;
}

/** The declarative description of a connector: what a catalog UI and the service need. */
export interface ConnectorSpec<Id extends string = string> {
  /** The id `getConnector` takes: letters, digits, `_`, `.` or `-`, e.g. `openai`. */
  readonly id: Id;
  /** The provider's name, as messages show it: "Invalid API key format for {displayName}". */
  readonly displayName: string;
  /** Catalog group, e.g. `ai_ml` or `data_extraction`. */
  readonly category: ConnectorCategory;
  /** One line on what the connector does. */
  readonly description: string;
  /** Fields the connector reads from its credentials (secret and not). */
  readonly fields: readonly CredentialFieldSpec[];
  /** The official SDK the connector runs on, if any, and the major versions it supports. */
  readonly sdk?: { readonly package: string; readonly versions: string } | undefined;
  /** The default API base URL. */
  readonly baseURL?: string | undefined;
  /** The call `testConnection()` makes after the format check. */
  readonly verification?: VerificationSpec | undefined;
  /** Provider documentation for obtaining a key. */
  readonly docsUrl: string;
  /** How requests carry the key; needed for brokered mode. */
  readonly auth?: AuthHeaderSpec | undefined;
  /** Where responses report usage; needed for brokered usage metering. */
  readonly usage?: UsageSpec | undefined;
}

/**
 * What a connector is built from: field name → value. Secret fields may be plain strings or
 * `Secret`s (plain strings are wrapped at once); other fields (e.g. `model`) are settings.
 * Field names are matched ignoring case, `_` and `-`, so `api_key` and `apiKey` are the same.
 */
export type ConnectorCredentials = Readonly<Record<string, unknown>>;

/** Options passed through to the provider SDK. */
export interface ConnectorOptions<Lib = unknown> {
  /** API base URL, e.g. a proxy or a test server. @default the provider's public endpoint */
  baseURL?: string | undefined;
  /** `fetch` implementation for the SDK's requests, where the SDK takes one. */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Certificate authorities (PEM) to trust for the provider's TLS instead of the public ones, for
   * a private proxy or a test server. Taken by connectors whose SDK accepts TLS settings (`azure`).
   */
  ca?: string | Buffer | undefined;
  /** Time limit of each request in milliseconds. @default the SDK's own default */
  timeout?: number | undefined;
  /** Retries after a failed request (429, 5xx, network). @default the SDK's own default */
  maxRetries?: number | undefined;
  /** The SDK module, or a function that loads it, instead of importing the package. */
  lib?: LibOption<Lib> | undefined;
  /** More values to scrub from every error this connector throws (besides its secret fields). */
  redact?: Iterable<string | Secret> | undefined;
  /**
   * What URLs from tenant data (a `baseURL` in the connection's configuration or credentials,
   * a redirect target) may reach: by default never loopback, link-local, private or unique-local
   * addresses. `baseURL` above is the operator's and is not checked.
   */
  egress?: EgressOptions | undefined;
  /** Called once when the connector is cleaned up. */
  onCleanup?: (() => void | Promise<void>) | undefined;
  /**
   * Set by brokered connectors (`credkit/brokered`), not for direct use: the SDK holds a
   * placeholder key and gets `fetch` as it is, which follows redirects, decides where each hop
   * may go and puts the real key on it, and the key-format check of `testConnection()` is the
   * broker's.
   */
  brokered?: boolean | undefined;
}

/** Why a connection test failed, for code to branch on (the message is for people). */
export type TestFailureCode =
  | "invalid_format"
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "unreachable"
  | "provider_error"
  | "missing_credentials"
  | "unresolved_reference"
  | "expired"
  | "egress_blocked";

/** The verdict of `testConnection()`: never throws, never contains a secret. */
export interface TestConnectionResult {
  /** True when the credential has the right format and the provider accepted it. */
  readonly success: boolean;
  /** The connection status this verdict leads to (`expired` only from the connector service). */
  readonly status: "active" | "error" | "expired";
  readonly details: {
    /** Time of the verification call; 0 when no call was made (format check failed). */
    readonly latencyMs: number;
    /** Models the key can use, where the provider lists them. */
    readonly models?: readonly string[] | undefined;
    /** HTTP status the provider answered with, when it answered. */
    readonly httpStatus?: number | undefined;
    /** Credits left, where the provider reports them (Firecrawl). */
    readonly remainingCredits?: number | undefined;
    /**
     * Who the credential is, where the provider says: `account` and `principal` (AWS), `tenantId`
     * and `appId` (Azure), `projectId` and `principal` (GCP). Identifiers only, never a secret.
     */
    readonly identity?: Readonly<Record<string, string>> | undefined;
  };
  /** A message for people, e.g. "OpenAI API key is invalid or expired". */
  readonly error?: string | undefined;
  /** Why the test failed, for code to branch on; absent on success. */
  readonly code?: TestFailureCode | undefined;
  /** ISO 8601 time of the test. */
  readonly testedAt: string;
}

/** Text generated by a model. */
export interface GenerateTextResult {
  readonly text: string;
  readonly model: string;
  readonly finishReason?: string | undefined;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number } | undefined;
}

/** Options of `generateText`. */
export interface GenerateTextOptions {
  /** Model id, e.g. `gpt-4o-mini` or `claude-3-haiku-20240307`. @default the connection's `model` setting, else the connector's default */
  model?: string | undefined;
  /** System instruction. */
  system?: string | undefined;
  /** Most tokens to generate. */
  maxTokens?: number | undefined;
  /** Sampling temperature. @default the provider's default */
  temperature?: number | undefined;
}

/** A model a key can use. */
export interface ModelInfo {
  readonly id: string;
  readonly displayName?: string | undefined;
}

/** The methods of a text-generation connector (Anthropic, Gemini, Mistral, Cohere, Azure OpenAI, …). */
export interface TextGenerationMethods {
  /** One completion for `prompt`; `options.model` takes any model id the provider offers. */
  generateText(prompt: string, options?: GenerateTextOptions): Promise<GenerateTextResult>;
  /** Every model the key can use. */
  listModels(): Promise<ModelInfo[]>;
}

/** What every connector has. */
export interface Connector<Client = unknown> extends AsyncDisposable {
  /** The connector id, e.g. `openai`. */
  readonly id: string;
  /** The connector's catalog entry. */
  readonly spec: ConnectorSpec;
  /**
   * The configured SDK client, for calls the connector does not wrap. Prefer `call()`. Printing
   * it (inspect, console.log, JSON.stringify) shows a label, never the key; not enumerable.
   */
  readonly client: Client;
  /** True once `cleanup()` ran; every method then throws. */
  readonly closed: boolean;
  /** Checks the key format, then makes the cheapest authenticated call. Never throws. */
  testConnection(): Promise<TestConnectionResult>;
  /**
   * Runs `operation` on the SDK client with the connector's guarantees: its errors become typed
   * credkit errors scrubbed of the connection's secrets, and cleanup aborts it.
   */
  call<T>(operation: (client: Client, signal: AbortSignal) => Promise<T>): Promise<T>;
  /**
   * The error unchanged when it carries none of this connection's secrets (in any encoding),
   * else a scrubbed copy. For errors of calls made on `client` directly.
   */
  scrub(error: unknown): unknown;
  /** Aborts requests in flight, releases the client and drops the credentials. Idempotent. */
  cleanup(): Promise<void>;
}
