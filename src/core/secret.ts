/**
 * `Secret`: a value that never prints. `.reveal()` is the only way to the value; every other way
 * of turning it into text (String(), template literals, JSON.stringify, util.inspect,
 * console.log) gives the masked form.
 */

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** Values shorter than this mask to `***` with nothing shown. */
const SHORT_VALUE_LENGTH = 16;
/** Never show more than this many characters. */
const MAX_SHOWN = 6;

/**
 * Masks a value as `***key123`: the last characters of a long value, never
 * more than 6 of them and never more than a quarter of the value. Values under 16 characters
 * mask to `***`.
 */
export function maskSecret(value: string): string {
  const characters = Array.from(value);
  if (characters.length < SHORT_VALUE_LENGTH) return "***";
  const shown = Math.min(MAX_SHOWN, Math.floor(characters.length / 4));
  return `***${characters.slice(-shown).join("")}`;
}

export class Secret {
  readonly #value: string;
  #masked: string | undefined;

  constructor(value: string) {
    if (typeof value !== "string") throw new TypeError("Secret value must be a string");
    this.#value = value;
  }

  /** Wraps a value, or returns it unchanged when it already is a `Secret`. */
  static from(value: string | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value);
  }

  /** True for a `Secret`, also one made by another copy of credkit. */
  static isSecret(value: unknown): value is Secret {
    return value instanceof Secret;
  }

  /** The plain value. The only way to it: grep for `.reveal()` to audit where secrets go. */
  reveal(): string {
    return this.#value;
  }

  /** The masked form, e.g. `***key123`. */
  get masked(): string {
    this.#masked ??= maskSecret(this.#value);
    return this.#masked;
  }

  /** Length of the value, for validation without revealing it. */
  get length(): number {
    return this.#value.length;
  }

  /** Constant-time comparison with another value. */
  equals(other: Secret | string): boolean {
    const a = this.#value;
    const b = typeof other === "string" ? other : other.reveal();
    let difference = a.length ^ b.length;
    for (let index = 0; index < a.length; index++) {
      difference |= a.charCodeAt(index) ^ b.charCodeAt(index % Math.max(b.length, 1));
    }
    return difference === 0;
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [Symbol.toPrimitive](): string {
    return this.masked;
  }

  [INSPECT](): string {
    return `Secret(${this.masked})`;
  }
}

/** A credential's fields as `Secret`s. */
export type SecretFields = Readonly<Record<string, Secret>>;

/** Masks every field of a credential (`maskSecret` on each value). */
export function maskFields(fields: SecretFields): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, secret] of Object.entries(fields)) masked[name] = secret.masked;
  return masked;
}
