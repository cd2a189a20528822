/**
 * What leaves the connector service when a call fails: the thrown value is checked for every
 * secret the call has seen (values handed in, values resolved from the store) and, when it
 * carries one or cannot be trusted not to (a getter, a proxy, a class that computes its printed
 * form), rebuilt and scrubbed (`scrubThrown`). Nothing the service throws skips this.
 */
import { MAX_VALUE_BYTES } from "../../core/credential-types.js";
import { Redactor } from "../../core/redact.js";
import { scrubThrown } from "../../core/scrub-thrown.js";
import { Secret } from "../../core/secret.js";

/**
 * A redactor of the string and `Secret` values at the top level of `values` (where secrets are
 * handed to the service). A string longer than a credential field can hold is never stored, so
 * it is not searched for.
 */
export function handedIn(values: unknown): Redactor {
  const known = new Redactor();
  if (typeof values !== "object" || values === null) return known;
  try {
    for (const value of Object.values(values)) {
      if (value instanceof Secret) known.add(value);
      else if (typeof value === "string" && value.length <= MAX_VALUE_BYTES) known.add(value);
    }
  } catch {
    // values that cannot be read were never stored; the call itself reports them
  }
  return known;
}

/** Adds every value of credentials read for a call to what the call has seen. */
export function sawCredentials(
  known: Redactor | undefined,
  credentials: Readonly<Record<string, Secret>>,
): void {
  if (known) for (const value of Object.values(credentials)) known.add(value);
}

/** Runs a service call; whatever it throws leaves through `scrubThrown` with what the call saw. */
export async function scrubbedCall<T>(known: Redactor, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw scrubThrown(known, error);
  }
}
