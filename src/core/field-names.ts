/**
 * The one field-name folding rule shared by credential types and connectors: case, `_` and `-`
 * are ignored, so `api_key`, `apiKey`, `API-KEY` and `ApiKey` all name the same field.
 */

/** The folded form of a field name: lower case, without `_` and `-`. */
export function foldFieldName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/** Whether two field names are the same field under the folding rule. */
export function sameFieldName(a: string, b: string): boolean {
  return foldFieldName(a) === foldFieldName(b);
}

/**
 * A lookup from any spelling of a set of canonical field names to the canonical one. Only the
 * given names are known: inherited properties such as `toString` never match.
 */
export class FieldNameIndex {
  readonly #byFolded = new Map<string, string>();

  constructor(names: Iterable<string>) {
    for (const name of names) this.#byFolded.set(foldFieldName(name), name);
  }

  /** The canonical name `name` folds to, or undefined when it names none of them. */
  canonical(name: string): string | undefined {
    return this.#byFolded.get(foldFieldName(name));
  }
}
