/** The page's two live regions: a polite status line and an alert for failures. */
import { byId } from "./dom.js";

/** Announces `text`: as an alert when `failed`, else as a status (and clears the other region). */
export function notify(text: string, failed = false): void {
  byId("notice").textContent = failed ? "" : text;
  byId("alert").textContent = failed ? text : "";
}
