/**
 * Values at dotted paths (`generationConfig.maxOutputTokens`, each step an object member) of a
 * JSON object's text, found by scanning it instead of parsing all of it: only the values at the
 * paths are parsed. Strings
 * elsewhere are skipped with `indexOf`, arrays and objects by their brackets, so a request body
 * with a long conversation costs a scan, not a tree of objects. The parts skipped are not
 * validated: a text that is not a JSON object, or is broken where the scan walks, reads as
 * having no values.
 */

const SPACE = 32;
const TAB = 9;
const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;

/** Dotted paths split into their steps, once per path (paths come from connector specs). */
const pathSteps = new Map<string, readonly string[]>();

/** The steps of a dotted path. */
export function stepsOf(path: string): readonly string[] {
  let steps = pathSteps.get(path);
  if (steps === undefined) {
    steps = path.split(".");
    pathSteps.set(path, steps);
  }
  return steps;
}

/** Thrown (and caught in `valuesAt`) where the text is not what the scan expects. */
class Malformed extends Error {}

function isSpace(code: number): boolean {
  return code === SPACE || code === LINE_FEED || code === CARRIAGE_RETURN || code === TAB;
}

function skipSpace(text: string, at: number): number {
  let index = at;
  while (isSpace(text.charCodeAt(index))) index++;
  return index;
}

/** The index after the string that opens at `at`. */
function stringEnd(text: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) throw new Malformed();
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index after the array or object that opens at `at`. */
function containerEnd(text: string, at: number): number {
  let depth = 0;
  let index = at;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = stringEnd(text, index);
      continue;
    }
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) depth++;
    else if ((code === CLOSE_OBJECT || code === CLOSE_ARRAY) && --depth === 0) return index + 1;
    index++;
  }
  throw new Malformed();
}

/** The index after the value that starts at `at`. */
function valueEnd(text: string, at: number): number {
  const code = text.charCodeAt(at);
  if (code === QUOTE) return stringEnd(text, at);
  if (code === OPEN_OBJECT || code === OPEN_ARRAY) return containerEnd(text, at);
  let index = at;
  for (; index < text.length; index++) {
    const next = text.charCodeAt(index);
    if (next === COMMA || next === CLOSE_OBJECT || next === CLOSE_ARRAY || isSpace(next)) break;
  }
  if (index === at) throw new Malformed();
  return index;
}

/** A member's key: the raw text between the quotes, decoded only when it has an escape. */
function keyOf(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  return raw.includes("\\") ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

/**
 * Calls `visit` with the key and value bounds of each member of the object that opens at `at`;
 * returns the index after the object.
 */
function members(text: string, at: number, visit: (key: string, start: number, end: number) => void): number {
  if (text.charCodeAt(at) !== OPEN_OBJECT) throw new Malformed();
  let index = skipSpace(text, at + 1);
  if (text.charCodeAt(index) === CLOSE_OBJECT) return index + 1;
  for (;;) {
    if (text.charCodeAt(index) !== QUOTE) throw new Malformed();
    const keyEnd = stringEnd(text, index);
    const key = keyOf(text, index, keyEnd);
    index = skipSpace(text, keyEnd);
    if (text.charCodeAt(index) !== COLON) throw new Malformed();
    const start = skipSpace(text, index + 1);
    const end = valueEnd(text, start);
    visit(key, start, end);
    index = skipSpace(text, end);
    const next = text.charCodeAt(index);
    if (next === CLOSE_OBJECT) return index + 1;
    if (next !== COMMA) throw new Malformed();
    index = skipSpace(text, index + 1);
  }
}

/**
 * Collects into `found` the values of `paths` (all `depth` steps deep so far) in the object at
 * `at`; returns the index after the object. A later duplicate key wins, as with `JSON.parse`.
 */
function collect(
  text: string,
  at: number,
  paths: readonly string[],
  depth: number,
  found: Map<string, unknown>,
): number {
  return members(text, at, (key, start, end) => {
    let nested: string[] | undefined;
    for (const path of paths) {
      const steps = stepsOf(path);
      if (steps[depth] !== key) continue;
      if (steps.length === depth + 1) found.set(path, JSON.parse(text.slice(start, end)));
      else {
        found.delete(path);
        nested ??= [];
        nested.push(path);
      }
    }
    if (nested && text.charCodeAt(start) === OPEN_OBJECT) collect(text, start, nested, depth + 1, found);
  });
}

/**
 * The parsed values at `paths` of the JSON object `text` (absent paths have no entry), or
 * undefined when the text is not a JSON object where the scan walks.
 */
export function valuesAt(text: string, paths: readonly string[]): Map<string, unknown> | undefined {
  const found = new Map<string, unknown>();
  try {
    const end = collect(text, skipSpace(text, 0), paths, 0, found);
    return skipSpace(text, end) === text.length ? found : undefined;
  } catch (error) {
    if (error instanceof Malformed || error instanceof SyntaxError) return undefined;
    throw error;
  }
}
