/**
 * ETags for compare-and-set: `"v3"` is version 3 of a credential, `"i7"` revision 7 of an
 * integration. `If-Match` with one of them makes the write conditional (412 on mismatch).
 */
import { HttpProblem } from "./problem.js";

/** The ETag of a version or revision. */
export function etagOf(kind: "v" | "i", version: number): string {
  return `"${kind}${version}"`;
}

/** The number an `If-Match` header names, undefined without one (or for `*`); 412 when malformed. */
export function parseIfMatch(header: string | null, kind: "v" | "i"): number | undefined {
  if (header === null || header.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"([vi])(\d{1,15})"\s*$/.exec(header);
  if (!match || match[1] !== kind) {
    throw new HttpProblem("precondition_failed", "If-Match does not name a version of this resource.", {
      field: "if-match",
    });
  }
  return Number(match[2]);
}

/** The answer when the resource is no longer at the version `If-Match` named. */
export function preconditionFailed(): HttpProblem {
  return new HttpProblem("precondition_failed", "The resource changed since it was read (If-Match).", {
    field: "if-match",
  });
}
