/**
 * The API the page calls: credkit's typed client on the router the page is served by, with the
 * CSRF header on every request (the router refuses state-changing requests without it).
 */
import { CredkitApiError, createClient } from "../../client.js";
import { CSRF_HEADER } from "../../csrf.js";

const base = document.querySelector<HTMLMetaElement>('meta[name="credkit-api"]')?.content ?? "";

export const api = createClient({ baseUrl: base, headers: { [CSRF_HEADER]: "1" } });

/** What to tell the operator about a failure: the API's own detail, else a generic line. */
export function messageOf(error: unknown): string {
  if (error instanceof CredkitApiError) return error.message;
  return "The request failed; check the connection and try again.";
}
