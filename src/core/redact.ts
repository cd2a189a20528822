/**
 * Scrubbing secrets out of text and errors. SDK errors carry request headers, `?key=` URLs and
 * request bodies; before one becomes a `cause`, `scrubError` rebuilds it as a plain error that
 * keeps only its name, message, code and status, with every known secret (and its common
 * encodings) and every credential-looking pattern replaced by `[REDACTED]`.
 */
import { Secret } from "./secret.js";

const REDACTED = "[REDACTED]";
/** Values shorter than this are not searched for: too likely to match innocent text. */
const MIN_SCRUB_LENGTH = 4;
const MAX_CAUSE_DEPTH = 8;

/** Patterns that look like credentials whatever their value: auth headers, key query strings. */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
  /([?&](?:key|api_key|apikey|token|access_token|secret|password|sig|signature)=)[^&\s"']+/gi,
  /((?:"|')?(?:authorization|x-api-key|x-goog-api-key|api-key|x-vault-token|x-auth-key|password|secret|token|apiKey|api_key|client_secret|secret_id|private_key)(?:"|')?\s*[:=]\s*(?:"|')?)[^"'\s,}]{4,}/gi,
  /\b(sk-ant-|sk-|fc-|hvs\.|AKIA)[A-Za-z0-9_-]{6,}/g,
];

/** The forms a secret takes when an SDK embeds it in text. */
function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(encodeURIComponent(value));
  forms.add(JSON.stringify(value).slice(1, -1));
  const base64 = Buffer.from(value, "utf8").toString("base64");
  forms.add(base64);
  forms.add(base64.replace(/=+$/, ""));
  forms.add(Buffer.from(value, "utf8").toString("base64url"));
  return [...forms].filter((form) => form.length >= MIN_SCRUB_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Replaces known secret values (and their encodings) and credential-looking patterns in text. */
export class Redactor {
  #values = new Set<string>();
  #pattern: RegExp | undefined;

  constructor(values: Iterable<string | Secret | undefined> = []) {
    for (const value of values) this.add(value);
  }

  /** Adds a value to search for. Undefined and very short values are ignored. */
  add(value: string | Secret | undefined): this {
    if (value === undefined) return this;
    const plain = value instanceof Secret ? value.reveal() : value;
    if (plain.length < MIN_SCRUB_LENGTH) return this;
    for (const form of encodedForms(plain)) this.#values.add(form);
    // Basic auth embeds the value inside a base64 pair; patterns cover the header itself.
    this.#pattern = undefined;
    return this;
  }

  /** Whether `text` carries a known value (or one of its encodings) or a credential pattern. */
  contains(text: string): boolean {
    return this.redact(text) !== text;
  }

  /** The redacted text. */
  redact(text: string): string {
    let result = text;
    if (this.#values.size > 0) {
      this.#pattern ??= new RegExp(
        [...this.#values]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join("|"),
        "g",
      );
      result = result.replace(this.#pattern, REDACTED);
    }
    for (const pattern of CREDENTIAL_PATTERNS) {
      result = result.replace(pattern, (_match, prefix: string) =>
        /^(Bearer|Basic|Token)$/i.test(prefix) ? `${prefix} ${REDACTED}` : `${prefix}${REDACTED}`,
      );
    }
    return result;
  }

  /** See `scrubError`. */
  scrubError(error: unknown): Error {
    return scrubWith(this, error, 0);
  }
}

/** An error rebuilt from another with only safe, scrubbed properties. */
export class ScrubbedError extends Error {
  /** The original error's `name`. */
  readonly originalName: string;
  /** The original `code`, when it had a string or number one. */
  readonly code: string | number | undefined;
  /** The HTTP status the original carried, if any. */
  readonly status: number | undefined;

  constructor(
    name: string,
    message: string,
    details: { code?: string | number; status?: number; cause?: Error },
  ) {
    super(message, details.cause ? { cause: details.cause } : undefined);
    this.originalName = name;
    this.code = details.code;
    this.status = details.status;
  }

  override get name(): string {
    return `ScrubbedError(${this.originalName})`;
  }
}

function pickStatus(error: Record<string, unknown>): number | undefined {
  for (const key of ["status", "statusCode", "httpStatusCode"]) {
    const value = error[key];
    if (typeof value === "number") return value;
  }
  const response = error.response as Record<string, unknown> | undefined;
  if (response && typeof response.status === "number") return response.status;
  const metadata = error.$metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata.httpStatusCode === "number") return metadata.httpStatusCode;
  return undefined;
}

function scrubWith(redactor: Redactor, error: unknown, depth: number): Error {
  if (error instanceof ScrubbedError && depth === 0) return error;
  if (typeof error !== "object" || error === null) {
    return new ScrubbedError("Error", redactor.redact(String(error)), {});
  }
  const record = error as Record<string, unknown>;
  const name = typeof record.name === "string" ? record.name : "Error";
  const message = typeof record.message === "string" ? record.message : String(error);
  const code = typeof record.code === "string" || typeof record.code === "number" ? record.code : undefined;
  const cause =
    depth < MAX_CAUSE_DEPTH && record.cause !== undefined
      ? scrubWith(redactor, record.cause, depth + 1)
      : undefined;
  const scrubbed = new ScrubbedError(redactor.redact(name), redactor.redact(message), {
    code: typeof code === "string" ? redactor.redact(code) : code,
    status: pickStatus(record),
    cause,
  });
  scrubbed.stack = `${scrubbed.name}: ${scrubbed.message}`;
  return scrubbed;
}

/** Rebuilds an error keeping only name, message, code and status, with secrets redacted. */
export function scrubError(error: unknown, secrets: Iterable<string | Secret | undefined> = []): Error {
  return new Redactor(secrets).scrubError(error);
}
