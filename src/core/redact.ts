/**
 * Scrubbing secrets out of text and errors, with no blind spots. A known secret is found as
 * itself, in each encoding an SDK or a server may give it (percent-encoding in either case,
 * form-urlencoding, JSON `\/` and `\uXXXX` escapes, hex, base64 — also of `user:key` without
 * `Basic `), and as any run of 16 or more of its consecutive characters (a provider echoing a
 * prefix of the key). Credential-looking patterns (auth headers, `?key=` query strings, known key
 * prefixes such as `sk-`, `AIza`) are redacted whatever their value. Text is searched whole,
 * whatever its length; `scrubError` walks the whole cause chain; nothing fails open.
 */
import { Secret } from "./secret.js";

const REDACTED = "[REDACTED]";
/** Values shorter than this are not searched for: too likely to match innocent text. */
const MIN_SCRUB_LENGTH = 4;
/** A run of this many consecutive characters of a secret counts as the secret. */
export const SECRET_RUN_LENGTH = 16;
/** Length of the pieces the run search indexes: half a run. */
const PIECE = SECRET_RUN_LENGTH / 2;
/** Rounds of decoding applied to text when looking for an encoded secret (e.g. JSON of a URL). */
const DECODE_ROUNDS = 2;

/** Patterns that look like credentials whatever their value: auth headers, key query strings. */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
  /([?&](?:key|api_key|apikey|token|access_token|secret|password|sig|signature)=)[^&\s"']+/gi,
  /((?:"|')?(?:authorization|x-api-key|x-goog-api-key|api-key|x-vault-token|x-auth-key|password|secret|token|apiKey|api_key|client_secret|secret_id|private_key)(?:"|')?\s*[:=]\s*(?:"|')?)[^"'\s,}]{4,}/gi,
  /\b(sk-ant-|sk-|fc-|hvs\.|AKIA|AIza)[A-Za-z0-9_-]{6,}/g,
];

const hex4 = (code: number) => code.toString(16).padStart(4, "0");

/** The forms a secret takes when an SDK or a server embeds it in text. */
export function encodedForms(value: string): string[] {
  const percent = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const json = JSON.stringify(value).slice(1, -1);
  const unicode = [...value].map((char) => `\\u${hex4(char.charCodeAt(0))}`).join("");
  const bytes = Buffer.from(value, "utf8");
  const base64 = bytes.toString("base64");
  const forms = [
    value,
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (code) => code.toLowerCase()),
    form,
    form.replace(/%[0-9A-F]{2}/g, (code) => code.toLowerCase()),
    json,
    json.replace(/\//g, "\\/"),
    unicode,
    unicode.toUpperCase().replace(/\\U/g, "\\u"),
    bytes.toString("hex"),
    bytes.toString("hex").toUpperCase(),
    base64,
    base64.replace(/=+$/, ""),
    bytes.toString("base64url"),
  ];
  return [...new Set(forms)].filter((item) => item.length >= MIN_SCRUB_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const JSON_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Decoders of text encodings (JSON escapes, percent, form): applied up to `DECODE_ROUNDS` deep. */
const TEXT_DECODERS: ReadonlyArray<(text: string) => string> = [
  (text) =>
    text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, sequence: string) =>
      sequence.length === 5
        ? String.fromCharCode(Number.parseInt(sequence.slice(1), 16))
        : (JSON_ESCAPES[sequence] ?? sequence),
    ),
  (text) =>
    text.replace(/%([0-9a-fA-F]{2})/g, (_match, code: string) =>
      String.fromCharCode(Number.parseInt(code, 16)),
    ),
  (text) =>
    text
      .replace(/\+/g, " ")
      .replace(/%([0-9a-fA-F]{2})/g, (_match, code: string) =>
        String.fromCharCode(Number.parseInt(code, 16)),
      ),
];

/** Decoders of binary encodings (hex, base64): applied once to each text view. */
const BINARY_DECODERS: ReadonlyArray<(text: string) => string> = [
  (text) => decodeRuns(text, /[0-9a-fA-F]{8,}/g, 2, "hex"),
  (text) => decodeRuns(text, /[A-Za-z0-9+/_-]{8,}={0,2}/g, 4, "base64"),
];

/** Each run the pattern finds, decoded at every alignment, joined: a view to search, not to show. */
function decodeRuns(text: string, pattern: RegExp, alignments: number, encoding: "hex" | "base64"): string {
  const decoded: string[] = [];
  for (const [run] of text.matchAll(pattern)) {
    for (let offset = 0; offset < alignments; offset++) {
      decoded.push(Buffer.from(run.slice(offset), encoding).toString("latin1"));
    }
  }
  return decoded.join("\n");
}

/** Replaces known secret values (and their encodings) and credential-looking patterns in text. */
export class Redactor {
  readonly #values = new Set<string>();
  readonly #forms = new Set<string>();
  readonly #runs = new Set<string>();
  /** Every 8-character piece of the runs: a 16-run always contains one at a position divisible by 8. */
  readonly #pieces = new Set<string>();
  #pattern: RegExp | undefined;

  constructor(values: Iterable<string | Secret | undefined> = []) {
    for (const value of values) this.add(value);
  }

  /** Adds a value to search for. Undefined and very short values are ignored. */
  add(value: string | Secret | undefined): this {
    if (value === undefined) return this;
    const plain = value instanceof Secret ? value.reveal() : value;
    if (typeof plain !== "string" || plain.length < MIN_SCRUB_LENGTH) return this;
    this.#values.add(plain);
    for (const form of encodedForms(plain)) this.#forms.add(form);
    for (let start = 0; start + SECRET_RUN_LENGTH <= plain.length; start++) {
      this.#runs.add(plain.slice(start, start + SECRET_RUN_LENGTH));
    }
    if (plain.length >= SECRET_RUN_LENGTH) {
      for (let start = 0; start + PIECE <= plain.length; start++)
        this.#pieces.add(plain.slice(start, start + PIECE));
    }
    this.#pattern = undefined;
    return this;
  }

  /**
   * Whether `text` carries a known value: as itself, in an encoding, or as a run of 16 of its
   * consecutive characters, also after decoding. Patterns alone do not count.
   */
  carries(text: string): boolean {
    if (this.#values.size === 0) return false;
    const views = new Set([text]);
    let frontier = [text];
    for (let round = 0; round < DECODE_ROUNDS; round++) {
      frontier = frontier
        .flatMap((view) => TEXT_DECODERS.map((decode) => decode(view)))
        .filter((view) => {
          const fresh = !views.has(view);
          views.add(view);
          return fresh;
        });
    }
    for (const view of views) {
      if (this.#foundIn(view)) return true;
      if (BINARY_DECODERS.some((decode) => this.#foundIn(decode(view)))) return true;
    }
    return false;
  }

  /** Whether `text` carries a known value or a credential-looking pattern. */
  contains(text: string): boolean {
    return this.redact(text) !== text;
  }

  /**
   * The redacted text. Known values, their encodings and runs are replaced where they stand;
   * when a value is still found after decoding (an encoding no replacement matched), the whole
   * text is replaced.
   */
  redact(text: string): string {
    let result = this.#replaceKnown(text);
    for (const pattern of CREDENTIAL_PATTERNS) {
      result = result.replace(pattern, (_match, prefix: string) =>
        /^(Bearer|Basic|Token)$/i.test(prefix) ? `${prefix} ${REDACTED}` : `${prefix}${REDACTED}`,
      );
    }
    return this.carries(result) ? REDACTED : result;
  }

  /** See `scrubError`. */
  scrubError(error: unknown): Error {
    return scrubWith(this, error);
  }

  #foundIn(view: string): boolean {
    for (const value of this.#values) if (view.includes(value)) return true;
    return this.#runStarts(view).length > 0;
  }

  /** Where runs of 16 characters of a secret start in `text`, checked around aligned pieces. */
  #runStarts(text: string): number[] {
    const starts = new Set<number>();
    if (this.#runs.size === 0) return [];
    for (let aligned = 0; aligned + PIECE <= text.length; aligned += PIECE) {
      if (!this.#pieces.has(text.slice(aligned, aligned + PIECE))) continue;
      for (let start = Math.max(0, aligned - PIECE); start <= aligned; start++) {
        if (this.#runs.has(text.slice(start, start + SECRET_RUN_LENGTH))) starts.add(start);
      }
    }
    return [...starts];
  }

  #replaceKnown(text: string): string {
    if (this.#forms.size === 0) return text;
    this.#pattern ??= new RegExp(
      [...this.#forms]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    const replaced = text.replace(this.#pattern, REDACTED);
    if (this.#runs.size === 0) return replaced;
    // any run of 16 consecutive characters of a secret: mark every covered position
    const starts = this.#runStarts(replaced);
    if (starts.length === 0) return replaced;
    const covered = new Uint8Array(replaced.length);
    for (const start of starts) covered.fill(1, start, start + SECRET_RUN_LENGTH);
    let out = "";
    for (let index = 0; index < replaced.length; index++) {
      if (!covered[index]) out += replaced[index];
      else if (index === 0 || !covered[index - 1]) out += REDACTED;
    }
    return out;
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
    this.stack = `${this.name}: ${message}`;
  }

  override get name(): string {
    return `ScrubbedError(${this.originalName})`;
  }
}

/** Reads a property; a getter (or proxy trap) that throws reads as undefined. */
export function safeGet(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function pickStatus(error: unknown): number | undefined {
  for (const key of ["status", "statusCode", "httpStatusCode"]) {
    const value = safeGet(error, key);
    if (typeof value === "number") return value;
  }
  const nested = [
    safeGet(safeGet(error, "response"), "status"),
    safeGet(safeGet(error, "$metadata"), "httpStatusCode"),
  ];
  return nested.find((value): value is number => typeof value === "number");
}

/** One link of a cause chain, rebuilt. Never throws: an unreadable error becomes a placeholder. */
function scrubLink(redactor: Redactor, error: unknown, cause: Error | undefined): Error {
  try {
    if (typeof error !== "object" || error === null) {
      return new ScrubbedError("Error", redactor.redact(String(error)), cause ? { cause } : {});
    }
    const name = safeGet(error, "name");
    const message = safeGet(error, "message");
    const code = safeGet(error, "code");
    return new ScrubbedError(
      redactor.redact(typeof name === "string" ? name : "Error"),
      redactor.redact(typeof message === "string" ? message : ""),
      {
        ...(typeof code === "string" ? { code: redactor.redact(code) } : {}),
        ...(typeof code === "number" ? { code } : {}),
        ...(pickStatus(error) !== undefined ? { status: pickStatus(error) } : {}),
        ...(cause ? { cause } : {}),
      },
    );
  } catch {
    return new ScrubbedError("Error", "[an error that could not be read safely]", cause ? { cause } : {});
  }
}

function scrubWith(redactor: Redactor, error: unknown): Error {
  const chain: unknown[] = [];
  const seen = new Set<unknown>();
  for (let link = error; link !== undefined && !seen.has(link); link = safeGet(link, "cause")) {
    chain.push(link);
    if (typeof link !== "object" || link === null) break;
    seen.add(link);
  }
  let rebuilt: Error | undefined;
  for (let index = chain.length - 1; index >= 0; index--) {
    rebuilt = scrubLink(redactor, chain[index], rebuilt);
  }
  return rebuilt ?? scrubLink(redactor, error, undefined);
}

/**
 * Rebuilds an error keeping only name, message, code and status, with secrets redacted, for the
 * whole cause chain (no depth limit; a cycle ends it).
 */
export function scrubError(error: unknown, secrets: Iterable<string | Secret | undefined> = []): Error {
  return new Redactor(secrets).scrubError(error);
}
