/**
 * Every ```ts block of README.md and docs/ type-checks against the package as users import it
 * ("credkit", "credkit/backend", "credkit/backends/<type>", …: the root tsconfig's paths), so a snippet cannot drift from
 * the API. Each block is its own module; a failure names the page and block.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const workspace = join(root, ".cache/doc-snippets");

function pages(): string[] {
  const docs = readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".md"))
    .map((file) => join("docs", file));
  return ["README.md", ...docs.sort()];
}

describe("code blocks of README.md and docs/", () => {
  it("every ```ts block type-checks against the package", { timeout: 180_000 }, () => {
    rmSync(workspace, { recursive: true, force: true });
    mkdirSync(workspace, { recursive: true });
    let blocks = 0;
    for (const page of pages()) {
      const text = readFileSync(join(root, page), "utf8");
      let index = 0;
      for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
        const file = `${page.replaceAll("/", "__")}--block-${index++}.ts`;
        writeFileSync(join(workspace, file), `${match[1]}\nexport {};\n`);
        blocks++;
      }
    }
    expect(blocks).toBeGreaterThan(20);
    const config = {
      extends: relative(workspace, join(root, "tsconfig.json")),
      // why: the root tsconfig maps "credkit" and its subpaths to the sources, as for the examples.
      compilerOptions: { noEmit: true },
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
