/** Building the page from data: elements and text nodes only (no HTML strings, so nothing can inject markup). */

/** A child of `el`: a node, text, or nothing. */
export type Child = Node | string | null | undefined | false;

/** An element with attributes (`true` → present and empty, `false`/undefined → absent) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** The element with this id; the page's skeleton has every id the script uses. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The admin page has no #${id}.`);
  return node as T;
}

/** A time for people: the local date and time, or `fallback` when there is none. */
export function when(iso: string | undefined, fallback = "Never"): string {
  if (!iso) return fallback;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? fallback : date.toLocaleString();
}

/** A `<time>` element for an ISO time. */
export function timeEl(iso: string | undefined, fallback = "Never"): HTMLElement {
  return iso ? el("time", { datetime: iso }, when(iso, fallback)) : el("span", {}, fallback);
}

/** A table: a header row and one row per item; each cell names its column (for the phone layout). */
export function table(headers: readonly string[], rows: readonly Child[][], empty: string): HTMLElement {
  if (rows.length === 0) return el("p", { class: "empty" }, empty);
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...headers.map((header) => el("th", { scope: "col" }, header)))),
    el(
      "tbody",
      {},
      ...rows.map((cells) =>
        el("tr", {}, ...cells.map((cell, index) => el("td", { "data-label": headers[index] }, cell))),
      ),
    ),
  );
}
