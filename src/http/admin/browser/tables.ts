/** The credentials screen (names, versions, fingerprints; never values) and the audit screen. */
import { api, messageOf } from "./api.js";
import { byId, el, table, timeEl } from "./dom.js";
import { notify } from "./notice.js";

/** Loads and draws the credentials table. */
export async function renderCredentials(): Promise<void> {
  try {
    const { credentials } = await api.credentials.list({ limit: 1000 });
    const rows = credentials.map((credential) => [
      el("code", {}, credential.id),
      credential.type,
      String(credential.version),
      credential.status,
      credential.fields.join(", "),
      el(
        "ul",
        { class: "plain" },
        ...Object.entries(credential.fingerprints).map(([field, print]) =>
          el("li", {}, `${field}: `, el("code", { class: "fingerprint" }, print)),
        ),
      ),
      timeEl(credential.updatedAt),
    ]);
    byId("credentials-table").replaceChildren(
      table(
        ["Name", "Type", "Version", "Status", "Fields", "Fingerprints", "Updated"],
        rows,
        "No credentials stored.",
      ),
    );
  } catch (error) {
    notify(messageOf(error), true);
  }
}

/** Loads and draws the audit table. */
export async function renderAudit(): Promise<void> {
  try {
    const { events } = await api.audit.list({ limit: 200 });
    const rows = events.map((event) => [
      timeEl(event.time),
      event.action,
      event.outcome === "success" ? "Success" : `Failure${event.errorCode ? ` (${event.errorCode})` : ""}`,
      event.name ? el("code", {}, event.name) : "—",
      event.accessor,
      event.version === undefined ? "—" : String(event.version),
      event.call ? `${event.call.method} ${event.call.path} → ${event.call.status || "no answer"}` : "—",
    ]);
    byId("audit-table").replaceChildren(
      table(
        ["Time", "Action", "Outcome", "Credential", "Actor", "Version", "Call"],
        rows,
        "No events recorded yet.",
      ),
    );
  } catch (error) {
    notify(messageOf(error), true);
  }
}
