/**
 * The hidden prompt of `credkit put`, typed into a real terminal (a tmux pseudo-terminal): the
 * value is stored, and neither it nor any part of it ever appears on the screen.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { maskSecret } from "../../src/core/secret.js";
import { baseEnv, cliBin } from "../support/cli.js";

const directory = mkdtempSync(join(tmpdir(), "credkit-cli-pty-"));
const session = `credkit-test-${randomBytes(4).toString("hex")}`;
// why: letters that never occur in the hex of key ids, fingerprints or times shown on screen
const SECRET = `${[...randomBytes(24)].map((byte) => "ghijklmnopqrstuvwxyz"[byte % 20]).join("")}`;
const env = baseEnv({
  VAULT_TYPE: "file",
  CREDKIT_FILE_DIR: directory,
  CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
});

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", session, ...args], { encoding: "utf8" });
}

async function screenUntil(pattern: RegExp): Promise<string> {
  for (;;) {
    const screen = tmux("capture-pane", "-p", "-J", "-S", "-100", "-t", session);
    if (pattern.test(screen)) return screen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await cliBin();
}, 120_000);
afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    // already gone
  }
  rmSync(directory, { recursive: true, force: true });
});

it("a value typed at the hidden prompt is stored and never shown", async () => {
  const bin = await cliBin();
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  const command = ["env", "-i", ...assignments, process.execPath, bin, "put", "acme", "typed"]
    .map((part) => `'${part.replace(/'/g, "'\\''")}'`)
    .join(" ");
  tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", `${command}; echo EXIT=$?; sleep 600`);
  await screenUntil(/Value of apiKey/);
  tmux("send-keys", "-t", session, "-l", SECRET);
  await screenUntil(/\*{10}/);
  tmux("send-keys", "-t", session, "Enter");
  const screen = await screenUntil(/EXIT=\d+/);
  expect(screen).toContain("EXIT=0");
  expect(screen).toContain("Stored typed (version 1).");
  expect(screen).not.toContain(SECRET);
  // the put report shows the masked form (its last few characters, as every masked view does);
  // nothing else of the value may be on screen
  const hidden = SECRET.slice(0, SECRET.length - (maskSecret(SECRET).length - 3));
  for (let start = 0; start + 6 <= hidden.length; start++) {
    const part = hidden.slice(start, start + 6);
    expect(screen.includes(part), `"${part}" of the typed value is on screen:\n${screen}`).toBe(false);
  }
  const manager = await createCredentialManager({ env });
  try {
    expect((await manager.getCredentials("typed", "acme")).apiKey?.reveal()).toBe(SECRET);
  } finally {
    await manager.close();
  }
}, 120_000);
