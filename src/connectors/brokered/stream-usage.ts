/**
 * The usage a server-sent-event stream reports, read as the stream passes through: each `data:`
 * event that parses as JSON is read with the spec's usage paths, and the last figure a stream
 * reports for a count wins (OpenAI's final chunk with `stream_options.include_usage`, Anthropic's
 * `message_start` then cumulative `message_delta`, Gemini's `usageMetadata` in the last chunk).
 */
import type { UsageSpec } from "../types.js";
import type { CallUsage } from "./usage.js";
import { countAt } from "./usage.js";

type Count = keyof CallUsage;
const COUNTS: readonly Count[] = ["inputTokens", "outputTokens", "credits"];

/** Reads the usage of one SSE stream from its decoded text, chunk by chunk. */
export class StreamUsage {
  readonly #spec: UsageSpec;
  /** The last key of every usage path: an event whose text names none of them is not parsed. */
  readonly #names: readonly string[];
  readonly #found: Partial<Record<Count, number>> = {};
  #partial = "";

  constructor(spec: UsageSpec) {
    this.#spec = spec;
    const paths = COUNTS.flatMap((name) => spec[name] ?? []);
    this.#names = [...new Set(paths.map((path) => path.slice(path.lastIndexOf(".") + 1)))];
  }

  /** Reads the complete lines of `text` (the rest waits for the next chunk). */
  observe(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  /** The usage the stream reported, or undefined when it reported none. */
  usage(): CallUsage | undefined {
    this.#line(this.#partial);
    this.#partial = "";
    const found = this.#found;
    if (COUNTS.every((name) => found[name] === undefined)) return undefined;
    return {
      inputTokens: found.inputTokens ?? 0,
      outputTokens: found.outputTokens ?? 0,
      credits: found.credits ?? 0,
    };
  }

  #line(line: string): void {
    if (!line.startsWith("data:")) return;
    const data = line.slice(5).trim();
    if (!data.startsWith("{") || !this.#names.some((name) => data.includes(name))) return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    for (const name of COUNTS) {
      const value = countAt(event, this.#spec[name]);
      if (value !== undefined) this.#found[name] = value;
    }
  }
}
