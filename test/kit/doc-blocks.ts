/**
 * The TypeScript code blocks of README.md and docs/, as the docs-snippets tests read them. A block
 * opens with ```ts (type-checked) or ```ts run (type-checked, and run offline by
 * docs-snippets-run.test.ts); any other info string starting with "ts" is refused, so a mistyped
 * marker cannot silently skip a block.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const root = join(import.meta.dirname, "../..");

/** One fenced TypeScript block: where it is, whether it is marked to run, its code. */
export interface DocBlock {
  /** Page path relative to the repository root, e.g. "docs/http.md". */
  page: string;
  /** Index among the page's TypeScript blocks, from 0. */
  index: number;
  /** A file name naming page and block: `docs__http.md--block-2.ts`. */
  file: string;
  /** True for ```ts run. */
  run: boolean;
  code: string;
}

function pages(): string[] {
  const docs = readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".md"))
    .map((file) => join("docs", file));
  return ["README.md", ...docs.sort()];
}

/** Every TypeScript block; throws on a fence such as ```ts runn or ```tsx that is neither form. */
export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const page of pages()) {
    const text = readFileSync(join(root, page), "utf8");
    let index = 0;
    for (const match of text.matchAll(/^```(ts[^\n]*)\n([\s\S]*?)^```/gm)) {
      const info = match[1]?.trim();
      if (info !== "ts" && info !== "ts run") {
        throw new Error(`${page}: code fence "${info}" is neither \`ts\` nor \`ts run\``);
      }
      const file = `${page.replaceAll("/", "__")}--block-${index}.ts`;
      blocks.push({ page, index: index++, file, run: info === "ts run", code: match[2] ?? "" });
    }
  }
  return blocks;
}
