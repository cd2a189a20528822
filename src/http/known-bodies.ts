/**
 * Answers the router built itself, written by the `node:http` adapter without the web stream:
 *
 * - a `TextAnswer` (status, headers, string body) from the router's `ANSWER` method, written as
 *   is, so the adapter builds no `Response` at all;
 * - a `Response` made by `textResponse`, whose body string is remembered by response, for a
 *   handler that wraps `router.fetch`.
 *
 * Responses from anywhere else are read normally.
 */
/** An answer before it is a `Response`: status, headers and the body text (null: none). */
export interface TextAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

/** The router's method answering a request with a `TextAnswer` where it can (read by `toNodeHandler`). */
export const ANSWER: unique symbol = Symbol("credkit.answer");

/** A handler that can answer without building a `Response`. */
export interface AnswersDirectly {
  [ANSWER](request: Request): Promise<Response | TextAnswer>;
}

/** The `Response` of an answer. */
export function toResponse(answer: Response | TextAnswer): Response {
  if (answer instanceof Response) return answer;
  const init = { status: answer.status, headers: answer.headers };
  return answer.body === null ? new Response(null, init) : textResponse(answer.body, init);
}

const bodies = new WeakMap<Response, string>();

/** A response whose body is `body`, remembered for the node adapter. */
export function textResponse(body: string, init: ResponseInit): Response {
  const response = new Response(body, init);
  bodies.set(response, body);
  return response;
}

/** The body `textResponse` gave this response, unless it was already read. */
export function knownBody(response: Response): string | undefined {
  return response.bodyUsed ? undefined : bodies.get(response);
}
