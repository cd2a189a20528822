/**
 * The admin page's script: one screen per `#/name` route, drawn from the API on every visit.
 * Built into `admin.js` by `npm run generate:admin`.
 */
import { setUpAddForm } from "./add.js";
import { setUpDialogs } from "./dialogs.js";
import { byId } from "./dom.js";
import { renderIntegrations } from "./integrations.js";
import { notify } from "./notice.js";
import { renderAudit, renderCredentials } from "./tables.js";

const SCREENS: Readonly<Record<string, { readonly title: string; readonly draw?: () => Promise<void> }>> = {
  integrations: { title: "Integrations", draw: renderIntegrations },
  add: { title: "Add integration" },
  credentials: { title: "Credentials", draw: renderCredentials },
  audit: { title: "Audit log", draw: renderAudit },
};

let first = true;

async function show(): Promise<void> {
  const wanted = location.hash.replace(/^#\//, "");
  const name = Object.hasOwn(SCREENS, wanted) ? wanted : "integrations";
  const screen = SCREENS[name]!;
  delete document.body.dataset.ready;
  for (const key of Object.keys(SCREENS)) byId(`view-${key}`).hidden = key !== name;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (link.hash === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${screen.title} · credkit admin`;
  await screen.draw?.();
  // why: after a navigation, focus the new screen's heading so keyboard and screen reader users land on it.
  if (!first) byId(`${name}-title`).focus();
  first = false;
  document.body.dataset.ready = name;
}

async function start(): Promise<void> {
  setUpDialogs();
  window.addEventListener("hashchange", () => void show());
  // why: following the link of the screen already shown fires no hashchange; redraw it (a refresh).
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    link.addEventListener("click", () => {
      if (link.hash === location.hash) void show();
    });
  }
  try {
    await setUpAddForm();
  } catch {
    notify("The connector catalog could not be loaded.", true);
  }
  await show();
}

void start();
