/**
 * The add screen: pick a provider from the catalog; the form shows its required fields with the
 * key format hint (optional settings folded away). Secret inputs are emptied after every submit.
 */
import type { ConnectorView } from "../../client.js";
import { api, messageOf } from "./api.js";
import { catalog, categoryLabel } from "./catalog.js";
import { byId, el } from "./dom.js";
import { clearSecrets, collect, fieldInput } from "./fields.js";
import { notify } from "./notice.js";

function showFields(connector: ConnectorView | undefined): void {
  byId("add-provider-hint").textContent = connector?.description ?? "";
  const fields = connector?.fields ?? [];
  const required = fields.filter((field) => field.required || field.secret);
  const optional = fields.filter((field) => !field.required && !field.secret);
  byId("add-fields").replaceChildren(
    ...required.map((field) => fieldInput(field, "add", field.required)),
    optional.length
      ? el(
          "details",
          {},
          el("summary", {}, "Optional settings"),
          ...optional.map((field) => fieldInput(field, "add", false)),
        )
      : "",
  );
}

async function submit(form: HTMLFormElement, connectors: Map<string, ConnectorView>): Promise<void> {
  const connector = connectors.get(byId<HTMLSelectElement>("add-provider").value);
  const name = byId<HTMLInputElement>("add-name").value;
  const { secrets, settings } = collect(form);
  clearSecrets(form);
  if (!connector) return;
  try {
    const created = await api.integrations.create({
      connector: connector.id,
      name,
      ...(Object.keys(secrets).length ? { credentials: secrets } : {}),
      ...(Object.keys(settings).length ? { configuration: settings } : {}),
    });
    form.reset();
    showFields(connector);
    byId("add-error").textContent = "";
    location.hash = "#/integrations";
    notify(`Added ${created.name} (${connector.displayName}): pending until tested.`);
  } catch (error) {
    byId("add-error").textContent = messageOf(error);
  }
}

/** Fills the provider list from the catalog and wires the form once. */
export async function setUpAddForm(): Promise<void> {
  const connectors = await catalog();
  const select = byId<HTMLSelectElement>("add-provider");
  const byCategory = new Map<string, ConnectorView[]>();
  for (const item of connectors.values())
    byCategory.set(item.category, [...(byCategory.get(item.category) ?? []), item]);
  select.replaceChildren(
    ...[...byCategory].map(([category, items]) =>
      el(
        "optgroup",
        { label: categoryLabel(category) },
        ...items.map((item) => el("option", { value: item.id }, item.displayName)),
      ),
    ),
  );
  select.addEventListener("change", () => showFields(connectors.get(select.value)));
  showFields(connectors.get(select.value));
  const form = byId<HTMLFormElement>("add-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit(form, connectors);
  });
}
