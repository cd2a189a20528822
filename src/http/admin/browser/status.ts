/** Status badges: the lifecycle state as text and a symbol, coloured as well, never colour alone. */
import { el } from "./dom.js";

/** Every lifecycle state of an integration, with its label and symbol. */
export const STATUSES: Readonly<Record<string, { readonly label: string; readonly symbol: string }>> = {
  pending: { label: "Pending", symbol: "○" },
  validating: { label: "Validating", symbol: "◔" },
  active: { label: "Active", symbol: "✓" },
  error: { label: "Error", symbol: "✕" },
  disabled: { label: "Disabled", symbol: "⊘" },
  expired: { label: "Expired", symbol: "◷" },
};

/** The badge of a status. */
export function badge(status: string): HTMLElement {
  const known = STATUSES[status] ?? { label: status, symbol: "?" };
  return el(
    "span",
    { class: `badge badge-${STATUSES[status] ? status : "unknown"}`, "data-status": status },
    el("span", { "aria-hidden": "true" }, known.symbol),
    ` ${known.label}`,
  );
}
