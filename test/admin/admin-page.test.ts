/**
 * The admin page end to end in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded), against the router on 127.0.0.1 with a loopback
 * OpenAI stand-in: add an OpenAI integration (pending), test it (active), a key the stand-in
 * answers 401 for (error, with its 'invalid or expired' message), rotate, disable, enable, delete. Canary keys
 * typed into the forms appear in no page content, attribute, input, storage, console message or
 * network response. axe-core checks every screen. Screenshots land in a temporary folder, or in
 * docs/admin/ with CREDKIT_SCREENSHOTS=docs (how the docs' pictures are refreshed), so a test run
 * leaves the working tree as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IntegrationView } from "../../src/http/client.js";
import { providerKey, SDK_ENV } from "../connectors/support.js";
import type { LoopbackServer } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { uniqueId } from "../support/fixtures.js";
import { type AdminServer, jsonOf, PREFIX, sessionCookie, startAdminServer, transcript } from "./support.js";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TO_DOCS = process.env.CREDKIT_SCREENSHOTS === "docs";
const SCREENSHOTS = TO_DOCS
  ? new URL("../../docs/admin/", import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), "credkit-admin-"))}/`);
/** Generous waits: CI runs on a loaded 2-core machine. */
const WAIT = 20_000;

const key = providerKey("sk-");
const wrongKey = providerKey("sk-");
const storedValue = providerKey("sk-");
const scraperKey = providerKey("fc-");
const CANARIES = [key, wrongKey, storedValue, scraperKey];

const tenant = uniqueId("org");
let provider: LoopbackServer;
let admin: AdminServer;
let browser: Browser;
let page: Page;
/** Every response (status, URL, headers) and console message the browser saw. */
const seen: string[] = [];
const pageErrors: string[] = [];

/** The page's globals inside `page.evaluate` (the tests are type-checked without DOM types). */
interface PageGlobals {
  readonly document: {
    readonly documentElement: { readonly outerHTML: string; readonly scrollWidth: number };
    readonly cookie: string;
    querySelectorAll(selector: string): Iterable<{ readonly value: string }>;
  };
  readonly innerWidth: number;
  readonly localStorage: object;
  readonly sessionStorage: object;
  readonly indexedDB: { databases(): Promise<unknown[]> };
  readonly axe?: typeof axe;
  getComputedStyle(node: unknown): { readonly backgroundColor: string };
}

/** Saves the screen (the whole page, or only the viewport for long lists) for docs/admin.md. */
async function screenshot(name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage });
}

/** axe-core on the current screen: no serious or critical violation. */
async function checkAccessibility(label: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axe.source);
  const { passes, violations } = await page.evaluate(async () => {
    const { axe: checker, document } = globalThis as unknown as PageGlobals;
    const results = await checker!.run(document as unknown as axe.ElementContext);
    return {
      passes: results.passes.map((item) => item.id),
      violations: results.violations.map((item) => ({
        id: item.id,
        impact: item.impact,
        targets: item.nodes.map((node) => String(node.target)),
      })),
    };
  });
  // axe really looked: labels and colour contrast were among the rules that ran and passed.
  expect(passes, label).toContain("color-contrast");
  const severe = violations.filter((item) => item.impact === "serious" || item.impact === "critical");
  expect(severe, `${label}: ${JSON.stringify(severe)}`).toEqual([]);
}

/** The `#/name` route behind each navigation link. */
const SCREEN_ROUTES: Readonly<Record<string, string>> = {
  integrations: "integrations",
  "add integration": "add",
  credentials: "credentials",
  "audit log": "audit",
};

/** Follows a navigation link and waits until that screen is drawn from the API (not the one before it). */
async function visit(screen: string): Promise<void> {
  await page.getByRole("link", { name: screen.replace(/^./, (c) => c.toUpperCase()), exact: true }).click();
  await page.locator(`body[data-ready="${SCREEN_ROUTES[screen]}"]`).waitFor({ state: "attached" });
}

function card(name: string) {
  return page.locator("li.card").filter({ has: page.getByRole("heading", { name, exact: true }) });
}

async function waitForStatus(name: string, status: string): Promise<void> {
  await card(name).locator(`.badge[data-status="${status}"]`).waitFor({ timeout: WAIT });
}

/** Calls the API as the operator from outside the browser (no Origin: not a browser request). */
async function callApi(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${admin.origin}${PREFIX}${path}`, {
    method,
    headers: {
      cookie: sessionCookie(tenant),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function startEvilSite(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(
      `<!doctype html><title>evil</title><form method="post" action="${target}"></form>` +
        "<script>document.forms[0].submit()</script>",
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describe.skipIf(!HAS_CHROMIUM)(
  HAS_CHROMIUM
    ? "admin page in headless Chromium"
    : "admin page in headless Chromium — skipped: /usr/bin/chromium is absent (.ci/run installs it)",
  () => {
    beforeAll(async () => {
      for (const name of SDK_ENV) vi.stubEnv(name, "");
      mkdirSync(SCREENSHOTS, { recursive: true });
      provider = await startOpenAIServer({ apiKey: key, echoKey: true });
      admin = await startAdminServer(provider.url);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addCookies([{ name: "session", value: tenant, url: admin.origin }]);
      page = await context.newPage();
      page.setDefaultTimeout(WAIT);
      page.on("console", (message) => seen.push(`console ${message.type()}: ${message.text()}`));
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("response", (response) =>
        seen.push(`${response.status()} ${response.url()} ${JSON.stringify(response.headers())}`),
      );
    });

    afterAll(async () => {
      vi.unstubAllEnvs();
      if (!TO_DOCS) rmSync(SCREENSHOTS, { recursive: true, force: true });
      await browser?.close();
      await admin?.close();
      await provider?.close();
    });

    it("opens on the integrations screen, served with a strict CSP and no script error", async () => {
      const first = await page.goto(`${admin.origin}${PREFIX}/admin`);
      expect(first?.url()).toBe(`${admin.origin}${PREFIX}/admin/`);
      expect((await first?.allHeaders())?.["content-security-policy"]).toContain("default-src 'self'");
      await page.locator('body[data-ready="integrations"]').waitFor();
      await expect(page.getByText("No integrations yet.").isVisible()).resolves.toBe(true);
      await checkAccessibility("integrations (empty)");
    });

    it("adds an OpenAI integration: required fields and key format hint, a password input never pre-filled", async () => {
      await visit("add integration");
      await page.locator("#add-provider").selectOption("openai");
      const keyInput = page.getByLabel("API key");
      expect(await keyInput.getAttribute("type")).toBe("password");
      expect(await keyInput.inputValue()).toBe("");
      await expect(page.locator("#add-apiKey-hint").textContent()).resolves.toContain("sk-");
      await page.getByLabel("Name").fill("Assistant");
      await checkAccessibility("add integration");
      await screenshot("add-desktop");
      await keyInput.fill(key);
      await page.getByRole("button", { name: "Add integration" }).click();
      await waitForStatus("Assistant", "pending");
      await expect(card("Assistant").locator(".badge").textContent()).resolves.toContain("Pending");
      const masked = await card("Assistant").locator(".masked").textContent();
      expect(masked).toMatch(/^\*{3}/);
      expect(key.endsWith(masked!.replace(/^\*+/, ""))).toBe(true);
      expect(await card("Assistant").locator(".fingerprint").textContent()).not.toBe("Unknown");
      // The form was emptied: going back shows an empty password input.
      await visit("add integration");
      expect(await page.getByLabel("API key").inputValue()).toBe("");
      await visit("integrations");
    });

    it("tests the connection: pending → active, with the verdict and the validation time", async () => {
      await card("Assistant").getByRole("button", { name: "Test connection" }).click();
      await waitForStatus("Assistant", "active");
      await expect(card("Assistant").locator(".verdict").textContent()).resolves.toContain(
        "Connection works",
      );
      expect(await card("Assistant").locator("dd time").count()).toBe(1);
    });

    it("refuses a cross-site form post and a same-origin request without the CSRF header", async () => {
      const { integrations } = await jsonOf<{ integrations: IntegrationView[] }>(
        await callApi("GET", "/integrations"),
      );
      const { id } = integrations[0]!;
      const evil = await startEvilSite(`${admin.origin}${PREFIX}/integrations/${id}/disable`);
      const other = await browser.newContext();
      await other.addCookies([{ name: "session", value: tenant, url: admin.origin }]);
      const attacker = await other.newPage();
      const posted = attacker.waitForResponse((response) => response.url().endsWith("/disable"));
      await attacker.goto(evil.url);
      expect((await posted).status()).toBe(403);
      await other.close();
      evil.server.close();
      const status = await page.evaluate(
        async (url) => (await fetch(url, { method: "POST" })).status,
        `${PREFIX}/integrations/${id}/disable`,
      );
      expect(status).toBe(403);
      const after = await jsonOf<IntegrationView>(await callApi("GET", `/integrations/${id}`));
      expect(after.status).toBe("active");
    });

    it("a key the stand-in answers 401 for: rotate, test → error with the 'invalid or expired' message", async () => {
      await card("Assistant").getByRole("button", { name: "Rotate key" }).click();
      const dialog = page.getByRole("dialog", { name: "Rotate key: Assistant" });
      await dialog.getByLabel("API key").fill(wrongKey);
      await checkAccessibility("rotate dialog");
      await dialog.getByRole("button", { name: "Rotate key" }).click();
      await waitForStatus("Assistant", "pending");
      await card("Assistant").getByRole("button", { name: "Test connection" }).click();
      await waitForStatus("Assistant", "error");
      await expect(card("Assistant").locator(".last-error").textContent()).resolves.toContain(
        "OpenAI API key is invalid or expired",
      );
      await expect(card("Assistant").locator(".verdict").textContent()).resolves.toContain(
        "OpenAI API key is invalid or expired",
      );
      await expect(card("Assistant").locator(".badge").textContent()).resolves.toContain("Error");
    });

    it("rotates back to a good key (active), disables and enables", async () => {
      await card("Assistant").getByRole("button", { name: "Rotate key" }).click();
      await page.getByRole("dialog").getByLabel("API key").fill(key);
      await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
      await waitForStatus("Assistant", "pending");
      await card("Assistant").getByRole("button", { name: "Test connection" }).click();
      await waitForStatus("Assistant", "active");
      await card("Assistant").getByRole("button", { name: "Disable" }).click();
      await waitForStatus("Assistant", "disabled");
      await expect(card("Assistant").locator(".badge").textContent()).resolves.toContain("Disabled");
      await checkAccessibility("integrations (disabled)");
      await card("Assistant").getByRole("button", { name: "Enable" }).click();
      await card("Assistant").getByRole("button", { name: "Disable" }).waitFor();
      expect(await card("Assistant").locator(".badge").getAttribute("data-status")).not.toBe("disabled");
    });

    it("shows credentials with versions and the tenant's audit events", async () => {
      expect(
        (await callApi("POST", "/credentials", { id: "billing-key", values: { apiKey: storedValue } }))
          .status,
      ).toBe(201);
      expect(
        (await callApi("PUT", "/credentials/billing-key", { values: { apiKey: storedValue } })).status,
      ).toBe(200);
      expect(
        (
          await callApi("POST", "/integrations", {
            connector: "anthropic",
            name: "Claude",
            credentials: { apiKey: `sk-ant-${"x".repeat(40)}` },
          })
        ).status,
      ).toBe(201);
      const scraper = await callApi("POST", "/integrations", {
        connector: "firecrawl",
        name: "Scraper",
        credentials: { apiKey: scraperKey },
      });
      expect(scraper.status).toBe(201);
      const { id: scraperId } = await jsonOf<IntegrationView>(scraper);
      expect((await callApi("POST", `/integrations/${scraperId}/disable`)).status).toBe(200);
      await visit("integrations");
      await waitForStatus("Scraper", "disabled");
      await card("Assistant").getByRole("button", { name: "Test connection" }).click();
      await waitForStatus("Assistant", "active");
      await waitForStatus("Claude", "pending");
      await screenshot("integrations-desktop");
      await checkAccessibility("integrations");
      await visit("credentials");
      const row = page.getByRole("row").filter({ hasText: "billing-key" });
      await row.waitFor();
      await expect(row.getByRole("cell").nth(2).textContent()).resolves.toBe("2");
      await checkAccessibility("credentials");
      await screenshot("credentials-desktop");
      await visit("audit log");
      await page.getByRole("row").filter({ hasText: "billing-key" }).first().waitFor();
      await expect(page.getByRole("row").filter({ hasText: "rotate" }).count()).resolves.toBeGreaterThan(0);
      await checkAccessibility("audit log");
      await screenshot("audit-desktop", false);
    });

    it("draws every lifecycle state as a labelled badge of its own colour, passing axe's contrast check", async () => {
      const states = ["pending", "validating", "active", "error", "disabled", "expired"];
      const list = (url: URL) => url.pathname === `${PREFIX}/integrations`;
      // The API's real answer, its one integration repeated in each state (what the page draws is under test).
      await page.route(list, async (route) => {
        const answer = await route.fetch();
        const template = ((await answer.json()) as { integrations: IntegrationView[] }).integrations[0]!;
        const integrations = states.map((status) => ({ ...template, status, name: `State ${status}` }));
        await route.fulfill({ response: answer, json: { integrations } });
      });
      await visit("integrations");
      for (const status of states) {
        const badge = card(`State ${status}`).locator(".badge");
        await expect(badge.getAttribute("data-status")).resolves.toBe(status);
        await expect(badge.textContent()).resolves.toContain(status.replace(/^./, (c) => c.toUpperCase()));
      }
      const colours = await page
        .locator(".badge")
        .evaluateAll((nodes) =>
          nodes.map((node) => (globalThis as unknown as PageGlobals).getComputedStyle(node).backgroundColor),
        );
      expect(new Set(colours).size).toBe(states.length);
      await checkAccessibility("every lifecycle state");
      await screenshot("states-desktop");
      await page.unroute(list);
    });

    it("fits a phone (390 px): no sideways scrolling, every screen still accessible", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [screen, shot] of [
        ["integrations", "integrations-phone"],
        ["add integration", "add-phone"],
        ["audit log", "audit-phone"],
      ] as const) {
        await visit(screen);
        const overflow = await page.evaluate(() => {
          const { document, innerWidth } = globalThis as unknown as PageGlobals;
          return document.documentElement.scrollWidth - innerWidth;
        });
        expect(overflow, screen).toBeLessThanOrEqual(0);
        await checkAccessibility(`${screen} (phone)`);
        await screenshot(shot, screen !== "audit log");
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await visit("integrations");
    });

    it("deletes after confirmation (Cancel keeps it)", async () => {
      await card("Assistant").getByRole("button", { name: "Delete" }).click();
      const dialog = page.getByRole("dialog", { name: "Delete integration" });
      await expect(dialog.textContent()).resolves.toContain("Assistant");
      await checkAccessibility("delete dialog");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect(await card("Assistant").count()).toBe(1);
      await card("Assistant").getByRole("button", { name: "Delete" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await card("Assistant").waitFor({ state: "detached" });
      const { integrations } = await jsonOf<{ integrations: IntegrationView[] }>(
        await callApi("GET", "/integrations"),
      );
      expect(integrations.map((item) => item.name).sort()).toEqual(["Claude", "Scraper"]);
    });

    it("no typed key appears in the page, its inputs, storage, console or any response", async () => {
      const surfaces = await page.evaluate(async () => {
        const { document, localStorage, sessionStorage, indexedDB } = globalThis as unknown as PageGlobals;
        return {
          html: document.documentElement.outerHTML,
          inputs: [...document.querySelectorAll("input")].map((input) => input.value),
          local: JSON.stringify({ ...localStorage }),
          session: JSON.stringify({ ...sessionStorage }),
          cookie: document.cookie,
          databases: JSON.stringify(await indexedDB.databases()),
        };
      });
      const everything = [JSON.stringify(surfaces), ...seen, ...transcript].join("\n");
      expect(transcript.length).toBeGreaterThan(20);
      for (const canary of CANARIES) expect(everything.includes(canary)).toBe(false);
      expect(pageErrors).toEqual([]);
      expect(seen.filter((line) => /Content Security Policy/i.test(line))).toEqual([]);
    });
  },
);
