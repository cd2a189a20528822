/** Request input checked against a schema; failures name the field, never the value. */
import type { z } from "zod";
import { ValidationError } from "../core/errors.js";

/** Where an input came from, for messages: `body.values.apiKey`, `path.id`, `query.limit`. */
export type InputPlace = "body" | "path" | "query";

/** The parsed input, or a `ValidationError` naming the first bad field and what is wrong with it. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, place: InputPlace): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [place, ...issue.path.map(String)].join(".");
  // Zod 4 messages describe the rule (type, length, pattern), never the input; unknown keys are
  // input too (a caller may paste a key where a name belongs), so they are not repeated.
  const message = issue.code === "unrecognized_keys" ? "unknown fields are not allowed" : issue.message;
  throw new ValidationError(`${path}: ${message}`, path);
}
