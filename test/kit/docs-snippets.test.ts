/**
 * Every ```ts block of README.md and docs/ type-checks against the package as users import it
 * ("credkit", "credkit/backend", "credkit/backends/<type>", …: the root tsconfig's paths), so a snippet cannot drift from
 * the API. Each block is its own module; a failure names the page and block.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { docBlocks, root } from "./doc-blocks.js";

const workspace = join(root, ".cache/doc-snippets");

describe("code blocks of README.md and docs/", () => {
  it("every ```ts block type-checks against the package", { timeout: 180_000 }, () => {
    rmSync(workspace, { recursive: true, force: true });
    mkdirSync(workspace, { recursive: true });
    const blocks = docBlocks();
    for (const block of blocks) writeFileSync(join(workspace, block.file), `${block.code}\nexport {};\n`);
    expect(blocks.length).toBeGreaterThan(20);
    const config = {
      extends: relative(workspace, join(root, "tsconfig.json")),
      // why: the root tsconfig maps "credkit" and its subpaths to the sources, as for the examples.
      // Incremental: tsc re-checks only blocks and sources whose text changed since its last run
      // (CI's second Node version, a local re-run) and reports the same diagnostics.
      compilerOptions: { noEmit: true, incremental: true, tsBuildInfoFile: "../doc-snippets.tsbuildinfo" },
      include: ["*.ts"],
    };
    writeFileSync(join(workspace, "tsconfig.json"), JSON.stringify(config));
    const tsc = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", workspace], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr, "a docs code block does not type-check (file names: page--block-N)").toBe(
      "",
    );
    expect(tsc.status).toBe(0);
  });
});
