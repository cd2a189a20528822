/**
 * Every ```ts run block of README.md and docs/ runs offline, as a user would paste it into a file:
 * its own Node process (bundled once by esbuild with the root tsconfig, which maps "credkit" to the
 * sources; packages stay imports from node_modules), a fresh working
 * directory (the default file store lands in its ./.credkit), a generated CREDENTIAL_ENCRYPTION_KEY,
 * canary values in the variables blocks read, and host-name lookups refused so a block that
 * reaches the network fails. Each must exit 0 and print neither a canary, the key nor any of its
 * own secret-looking literals. Mark a block `ts run` only when it needs no network or server.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/http/index.js";
import { canary } from "../../src/testing/index.js";
import { bundleForNode } from "../support/node-bundle.js";
import { type DocBlock, docBlocks, root } from "./doc-blocks.js";

// why: bare imports in a block (express, hono, pg) resolve from the repository's node_modules.
const workspace = join(root, ".cache/doc-snippets-run");
const scratch = mkdtempSync(join(tmpdir(), "credkit-doc-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const offline = `import dns from "node:dns";
const refuse = () => { throw new Error("offline: a docs block marked to run looked up a host name"); };
dns.lookup = refuse;
dns.promises.lookup = refuse;
`;

const encryptionKey = randomBytes(32).toString("hex");
/** The secret variables the runnable blocks read, each a canary. */
const canaries = {
  AZURE_KEY: canary(),
  CLOUDFLARE_API_TOKEN: canary("cf"),
  GITHUB_CLIENT_ID: canary("gh-id"),
  GITHUB_CLIENT_SECRET: canary("gh-secret"),
};
// why: docs/http.md's block reads the hash of a tenant's API key; the key itself is a canary.
const ACME_KEY_HASH = await hashApiKey(canary("ck"));

interface Outcome {
  status: number | null;
  output: string;
}

/** Writes the blocks and bundles them in one esbuild call (shared chunks, about a second). */
async function bundle(blocks: DocBlock[]): Promise<void> {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "offline.mjs"), offline);
  for (const block of blocks) writeFileSync(join(workspace, block.file), `${block.code}\nexport {};\n`);
  await bundleForNode(
    blocks.map((block) => join(workspace, block.file)),
    join(workspace, "out"),
  );
}

function runBlock(block: DocBlock): Promise<Outcome> {
  const cwd = join(scratch, block.file);
  mkdirSync(cwd);
  const child = spawn(
    process.execPath,
    ["--import", join(workspace, "offline.mjs"), join(workspace, "out", block.file.replace(/\.ts$/, ".mjs"))],
    {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        NODE_ENV: "development",
        CREDENTIAL_ENCRYPTION_KEY: encryptionKey,
        ACME_KEY_HASH,
        ...canaries,
      },
      timeout: 60_000,
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, output })));
}

/** The quoted secret-looking values a block writes itself ("sk-...", "wx-...", "ck_..."). */
function literalSecrets(code: string): string[] {
  return [...code.matchAll(/["'`]((?:sk-|fc-|wx-|ck_)[^"'`]*)["'`]/g)].map((match) => match[1] ?? "");
}

describe("code blocks of README.md and docs/ marked ```ts run", () => {
  const runnable = docBlocks().filter((block) => block.run);

  it("enough blocks are marked to run", () => {
    expect(runnable.length).toBeGreaterThanOrEqual(15);
  });

  it("each runs offline, exits 0 and prints no canary, key or literal secret", {
    timeout: 300_000,
  }, async () => {
    await bundle(runnable);
    const queue = [...runnable];
    const failures: string[] = [];
    // why: two at a time keeps the run to seconds on a 2-core machine without starving it.
    const worker = async () => {
      for (let block = queue.shift(); block; block = queue.shift()) {
        const { status, output } = await runBlock(block);
        const where = `${block.page} block ${block.index}`;
        const secrets = [encryptionKey, ...Object.values(canaries), ...literalSecrets(block.code)];
        if (secrets.some((secret) => output.includes(secret)))
          failures.push(`${where} printed a secret value`);
        // why: the failure message shows the block's output, never a secret it may have printed.
        const shown = secrets.reduce((text, secret) => text.replaceAll(secret, "[secret]"), output);
        if (status !== 0) failures.push(`${where} exited ${status}:\n${shown.slice(-2000)}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
  });
});
