/**
 * Bodies of the responses the router built itself, by response: the `node:http` adapter writes
 * such a body as the string it already is instead of reading it back through the web stream
 * (the same bytes, without a stream per request). Responses from anywhere else are read normally.
 */
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
