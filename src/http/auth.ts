/**
 * Authentication: the router asks the application's `authenticate(request)` hook who is calling
 * for every request except the OpenAPI document. There is no anonymous default.
 */
import { HttpProblem } from "./problem.js";
import type { Principal } from "./route.js";

/** A refusal: 401 (who are you?) or 403 (not allowed). */
export interface Refusal {
  readonly refuse: 401 | 403;
  /** Shown in the problem's `detail`; never put a credential in it. */
  readonly detail?: string | undefined;
  /** The `WWW-Authenticate` challenge of a 401. @default `Bearer realm="credkit"` */
  readonly challenge?: string | undefined;
}

/** What `authenticate` returns: the caller, a refusal, or nothing (401). */
export type AuthOutcome = Principal | Refusal | null | undefined;

/** Decides who is calling. Required: the router has no anonymous mode. */
export type Authenticate = (request: Request) => AuthOutcome | Promise<AuthOutcome>;

/** A refusal to return from `authenticate`. */
export function refuse(status: 401 | 403, detail?: string, challenge?: string): Refusal {
  return {
    refuse: status,
    ...(detail !== undefined ? { detail } : {}),
    ...(challenge !== undefined ? { challenge } : {}),
  };
}

const DEFAULT_CHALLENGE = 'Bearer realm="credkit"';

function refusal(outcome: Refusal | null | undefined): HttpProblem {
  if (outcome?.refuse === 403) {
    return new HttpProblem("forbidden", outcome.detail ?? "This caller may not use this API.");
  }
  return new HttpProblem("unauthorized", outcome?.detail ?? "Authentication is required.", {
    headers: { "www-authenticate": outcome?.challenge ?? DEFAULT_CHALLENGE },
  });
}

/** The caller of a request, or the 401/403 problem to answer with. */
export async function principalOf(authenticate: Authenticate, request: Request): Promise<Principal> {
  const outcome = await authenticate(request);
  if (!outcome || "refuse" in outcome) throw refusal(outcome);
  if (typeof outcome.tenantId !== "string" || !outcome.tenantId || typeof outcome.actor !== "string") {
    throw new TypeError("authenticate() must return { tenantId, actor } with a non-empty tenantId.");
  }
  return outcome;
}
