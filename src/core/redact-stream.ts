/**
 * Redaction of a stream of text (a child process's stdout or stderr) that may split a secret, or
 * one of its encodings, across chunks. Text is passed on as soon as it cannot be the start of a
 * known value: whatever at the end of the buffer could still grow into a value or an encoding of
 * one is held back until the next chunk (or the end) decides, and every piece passed on goes
 * through `Redactor.redact`. Runs of 16 characters of a secret are found within a piece, not
 * across two.
 */
import { StringDecoder } from "node:string_decoder";
import { encodedForms, type Redactor } from "./redact.js";

/** Redacts text written in pieces, passing the result to `write`. */
export class RedactingStream {
  readonly #redactor: Redactor;
  readonly #forms: readonly string[];
  readonly #longest: number;
  readonly #write: (text: string) => void;
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";

  /** `values`: the secrets to redact (also in every encoding the scrubber knows). */
  constructor(redactor: Redactor, values: Iterable<string>, write: (text: string) => void) {
    this.#redactor = redactor;
    this.#forms = [...new Set([...values].flatMap((value) => encodedForms(value)))];
    this.#longest = Math.max(0, ...this.#forms.map((form) => form.length));
    this.#write = write;
  }

  /** Takes a chunk of bytes (UTF-8, split anywhere) or text. */
  push(chunk: Buffer | string): void {
    this.#pending += typeof chunk === "string" ? chunk : this.#decoder.write(chunk);
    const cut = this.#safeCut();
    if (cut > 0) this.#emit(this.#pending.slice(0, cut));
    this.#pending = this.#pending.slice(cut);
  }

  /** Flushes what is held back. */
  end(): void {
    this.#pending += this.#decoder.end();
    if (this.#pending !== "") this.#emit(this.#pending);
    this.#pending = "";
  }

  #emit(text: string): void {
    this.#write(this.#redactor.redact(text));
  }

  /** Where the pending text may be cut: before any tail that could start a form, and inside no whole form. */
  #safeCut(): number {
    const text = this.#pending;
    let cut = text.length;
    for (let start = Math.max(0, text.length - this.#longest + 1); start < text.length; start++) {
      const tail = text.slice(start);
      if (this.#forms.some((form) => form.length > tail.length && form.startsWith(tail))) {
        cut = start;
        break;
      }
    }
    for (let moved = true; moved; ) {
      moved = false;
      for (const form of this.#forms) {
        const at = cut > 0 ? text.lastIndexOf(form, cut - 1) : -1;
        if (at >= 0 && at + form.length > cut) {
          cut = at;
          moved = true;
        }
      }
    }
    return cut;
  }
}
