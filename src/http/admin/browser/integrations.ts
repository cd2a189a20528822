/**
 * The integrations screen: the tenant's integrations grouped by category, each with its status
 * badge, last validation, last error, masked key and fingerprint, and its actions.
 */
import type { ConnectorView, IntegrationView } from "../../client.js";
import { api, messageOf } from "./api.js";
import { catalog, categoryLabel } from "./catalog.js";
import { confirmDelete, openRotate } from "./dialogs.js";
import { byId, type Child, el, timeEl } from "./dom.js";
import { notify } from "./notice.js";
import { badge } from "./status.js";

/** Keys described by the API: masked forms and fingerprints (never values). */
interface KeyFacts {
  readonly credentials: Record<string, unknown>;
  readonly fingerprints?: Record<string, string>;
}

/** The last test verdict per integration id, shown until the next one. */
const verdicts = new Map<string, { readonly ok: boolean; readonly text: string }>();

function keyRows(integration: IntegrationView, facts: KeyFacts | undefined): Child[] {
  const keys = Object.keys(integration.secretsReferences);
  if (keys.length === 0) return [el("dt", {}, "Key"), el("dd", {}, "None stored")];
  return keys.flatMap((key) => [
    el("dt", {}, keys.length > 1 ? `Key ${key}` : "Key"),
    el("dd", {}, el("code", { class: "masked" }, String(facts?.credentials[key] ?? "***"))),
    el("dt", {}, "Fingerprint"),
    el("dd", {}, el("code", { class: "fingerprint" }, facts?.fingerprints?.[key] ?? "Unknown")),
  ]);
}

async function run(action: () => Promise<unknown>, done: string): Promise<void> {
  try {
    await action();
    notify(done);
  } catch (error) {
    notify(messageOf(error), true);
  }
  await renderIntegrations();
}

async function testRow(integration: IntegrationView): Promise<void> {
  notify(`Testing ${integration.name}…`);
  try {
    const result = await api.integrations.test(integration.id);
    const models = result.details.models?.length ? ` (${result.details.models.length} models available)` : "";
    const text = result.success ? `Connection works${models}.` : (result.error ?? "The test failed.");
    verdicts.set(integration.id, { ok: result.success, text });
    notify(`${integration.name}: ${text}`);
  } catch (error) {
    verdicts.set(integration.id, { ok: false, text: messageOf(error) });
    notify(messageOf(error), true);
  }
  await renderIntegrations();
}

function actions(integration: IntegrationView, connector: ConnectorView | undefined): HTMLElement {
  const label = (text: string) => ({
    type: "button",
    "aria-describedby": `name-${integration.id}`,
    "data-action": text,
  });
  const test = el("button", label("test"), "Test connection");
  test.addEventListener("click", () => {
    test.disabled = true;
    void testRow(integration);
  });
  const rotate = el("button", label("rotate"), "Rotate key");
  rotate.addEventListener("click", () =>
    openRotate(integration, connector, (credentials) =>
      run(
        () => api.integrations.rotate(integration.id, { credentials }),
        `Rotated the key of ${integration.name}; it is pending until tested.`,
      ),
    ),
  );
  const disabled = integration.status === "disabled";
  const toggle = el("button", label(disabled ? "enable" : "disable"), disabled ? "Enable" : "Disable");
  toggle.addEventListener("click", () =>
    run(
      () => (disabled ? api.integrations.enable(integration.id) : api.integrations.disable(integration.id)),
      `${disabled ? "Enabled" : "Disabled"} ${integration.name}.`,
    ),
  );
  const remove = el("button", { ...label("delete"), class: "danger" }, "Delete");
  remove.addEventListener("click", () =>
    confirmDelete(integration.name, () =>
      run(() => api.integrations.delete(integration.id), `Deleted ${integration.name}.`),
    ),
  );
  return el("div", { class: "actions" }, test, rotate, toggle, remove);
}

function card(
  integration: IntegrationView,
  connector: ConnectorView | undefined,
  facts: KeyFacts | undefined,
): HTMLElement {
  const verdict = verdicts.get(integration.id);
  return el(
    "li",
    { class: "card", "data-integration": integration.id },
    el(
      "div",
      { class: "card-head" },
      el("h3", { id: `name-${integration.id}` }, integration.name),
      badge(integration.status),
    ),
    el("p", { class: "provider" }, connector?.displayName ?? integration.connector),
    el(
      "dl",
      {},
      el("dt", {}, "Last validated"),
      el("dd", {}, timeEl(integration.validatedAt)),
      el("dt", {}, "Last error"),
      el("dd", { class: "last-error" }, integration.errorMessage ?? "None"),
      ...keyRows(integration, facts),
    ),
    actions(integration, connector),
    el(
      "p",
      {
        class: `verdict ${verdict ? (verdict.ok ? "ok" : "failed") : ""}`,
        "data-verdict": verdict ? String(verdict.ok) : undefined,
      },
      verdict ? `${verdict.ok ? "✓ Passed: " : "✕ Failed: "}${verdict.text}` : "",
    ),
  );
}

/** Loads and draws the integrations screen. */
export async function renderIntegrations(): Promise<void> {
  const container = byId("integrations-list");
  container.setAttribute("aria-busy", "true");
  try {
    const [connectors, { integrations }] = await Promise.all([
      catalog(),
      api.integrations.list({ limit: 1000 }),
    ]);
    const facts = await Promise.all(
      integrations.map((item) => api.integrations.credentials(item.id).catch(() => undefined)),
    );
    const groups = new Map<string, HTMLElement[]>();
    integrations.forEach((integration, index) => {
      const connector = connectors.get(integration.connector);
      const category = connector?.category ?? "other";
      groups.set(category, [...(groups.get(category) ?? []), card(integration, connector, facts[index])]);
    });
    const sections = [...groups]
      .sort(([a], [b]) => categoryLabel(a).localeCompare(categoryLabel(b)))
      .map(([category, cards]) =>
        el(
          "section",
          { class: "category", "aria-labelledby": `category-${category}` },
          el("h2", { id: `category-${category}` }, categoryLabel(category)),
          el("ul", { class: "cards" }, ...cards),
        ),
      );
    container.replaceChildren(
      ...(sections.length
        ? sections
        : [el("p", { class: "empty" }, "No integrations yet. ", el("a", { href: "#/add" }, "Add one."))]),
    );
  } catch (error) {
    notify(messageOf(error), true);
  } finally {
    container.setAttribute("aria-busy", "false");
  }
}
