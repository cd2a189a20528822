/**
 * Form fields of a connector: a password input per secret (never pre-filled, no autocomplete),
 * a text input per setting, each with its label and format hint.
 */
import type { ConnectorView } from "../../client.js";
import { el } from "./dom.js";

type Field = ConnectorView["fields"][number];

function hintOf(field: Field): string {
  const parts = [field.description ?? ""];
  if (field.example) parts.push(`Format: ${field.example}`);
  if (field.pattern) parts.push(`(pattern ${field.pattern})`);
  return parts.filter(Boolean).join(" ");
}

/** One labelled input; `prefix` keeps ids unique per form. */
export function fieldInput(field: Field, prefix: string, required: boolean): HTMLElement {
  const id = `${prefix}-${field.name}`;
  const hint = hintOf(field);
  const input = el("input", {
    id,
    name: field.name,
    type: field.secret ? "password" : "text",
    autocomplete: field.secret ? "new-password" : "off",
    spellcheck: "false",
    autocapitalize: "off",
    required,
    "aria-describedby": hint ? `${id}-hint` : undefined,
    "data-field": "true",
    "data-secret": field.secret ? "true" : undefined,
  });
  return el(
    "div",
    { class: "field" },
    el("label", { for: id }, field.label, required ? el("span", { class: "required" }, " (required)") : null),
    input,
    hint ? el("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
  );
}

/** The values typed into a form's inputs: secrets and settings apart; empty inputs are left out. */
export function collect(form: HTMLFormElement): {
  secrets: Record<string, string>;
  settings: Record<string, string>;
} {
  const secrets: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const input of form.querySelectorAll<HTMLInputElement>("input[data-field]")) {
    if (!input.value) continue;
    (input.dataset.secret === "true" ? secrets : settings)[input.name] = input.value;
  }
  return { secrets, settings };
}

/** Empties every password input of a form (after each submit, whatever its outcome). */
export function clearSecrets(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>('input[type="password"]')) input.value = "";
}
