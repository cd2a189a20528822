/**
 * Reading usage from provider JSON with the paths a connector's spec declares (`spec.usage`):
 * the tokens (or credits) a response reports, and the bounds a request states before it is sent
 * (its model and its most output tokens), which metering reserves against a budget.
 */
import type { UsageSpec } from "../types.js";

/** Usage one call reported. Absent counts are 0. */
export interface CallUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly credits: number;
}

/** What a request says about its cost before it is sent. */
export interface RequestBounds {
  /** The model the request names, when the spec says where. */
  readonly model: string | undefined;
  /**
   * An upper bound of its input tokens: the request body's size in bytes (a token of a
   * byte-level tokenizer covers at least one byte), 0 when the body is a stream.
   */
  readonly inputTokens: number;
  /** The most output tokens it allows, when it says. */
  readonly maxOutputTokens: number | undefined;
}

/** Dotted paths split into their steps, once per path (paths come from connector specs). */
const pathSteps = new Map<string, readonly string[]>();

/** The value at a dotted path (`usage.prompt_tokens`) of a parsed JSON value. */
function at(value: unknown, path: string): unknown {
  let steps = pathSteps.get(path);
  if (steps === undefined) {
    steps = path.split(".");
    pathSteps.set(path, steps);
  }
  let current = value;
  for (const step of steps) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** The first count found at `paths`: a finite number ≥ 0, else undefined. */
export function countAt(value: unknown, paths: readonly string[] | undefined): number | undefined {
  for (const path of paths ?? []) {
    const found = at(value, path);
    if (typeof found === "number" && Number.isFinite(found) && found >= 0) return found;
  }
  return undefined;
}

/** The first count found at `paths`, else 0. */
function count(value: unknown, paths: readonly string[] | undefined): number {
  return countAt(value, paths) ?? 0;
}

/** The usage a parsed response body reports, by the spec's paths. */
export function readUsage(spec: UsageSpec, body: unknown): CallUsage {
  return {
    inputTokens: count(body, spec.inputTokens),
    outputTokens: count(body, spec.outputTokens),
    credits: count(body, spec.credits),
  };
}

function bodyText(body: RequestInit["body"]): string | undefined {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer)
    return Buffer.from(body as Uint8Array).toString();
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

/** The model and size bounds of a request about to be sent. */
export function requestBounds(spec: UsageSpec, url: URL, body: RequestInit["body"]): RequestBounds {
  const text = bodyText(body);
  let parsed: unknown;
  if (text !== undefined && (spec.model !== undefined || spec.maxOutputTokens !== undefined)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  const fromPath = spec.modelInPath ? new RegExp(spec.modelInPath).exec(url.pathname)?.[1] : undefined;
  const fromBody = spec.model ? at(parsed, spec.model) : undefined;
  const maxOutput = count(parsed, spec.maxOutputTokens);
  return {
    model:
      typeof fromBody === "string"
        ? fromBody
        : fromPath !== undefined
          ? decodeURIComponent(fromPath)
          : undefined,
    inputTokens: text === undefined ? 0 : Buffer.byteLength(text),
    maxOutputTokens: maxOutput > 0 ? maxOutput : undefined,
  };
}
