/**
 * TypeScript that a test runs in a separate Node process, bundled by esbuild with the root
 * tsconfig (so "credkit" and relative imports resolve to the sources, as under tsx; packages stay
 * imports from node_modules) and run with plain `node`. A child then starts on one JavaScript
 * file instead of compiling the sources module by module through `--import tsx`, which cost about
 * a CPU-second per process.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";

const ROOT = join(import.meta.dirname, "../..");

/**
 * Bundles `entryPoints` into `outdir` as ES modules for Node 20 (`<name>.mjs` each, shared code
 * in chunks). `outdir` must lie inside the repository so the packages resolve from node_modules.
 */
export async function bundleForNode(entryPoints: readonly string[], outdir: string): Promise<void> {
  await build({
    entryPoints: [...entryPoints],
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    tsconfig: join(ROOT, "tsconfig.json"),
    logLevel: "error",
  });
}

const bundles = new Map<string, Promise<string>>();
let scratch: string | undefined;

/**
 * The path of `source` (a .ts script) bundled for `node`, built once per test process into a
 * scratch folder under node_modules/.cache that is removed when the process exits.
 */
export function childScript(source: string): Promise<string> {
  let bundled = bundles.get(source);
  if (!bundled) {
    if (!scratch) {
      const parent = join(ROOT, "node_modules/.cache/credkit-child-scripts");
      mkdirSync(parent, { recursive: true });
      const folder = mkdtempSync(join(parent, "run-"));
      scratch = folder;
      process.once("exit", () => rmSync(folder, { recursive: true, force: true }));
    }
    const outdir = join(scratch, String(bundles.size));
    bundled = bundleForNode([source], outdir).then(() =>
      join(outdir, basename(source).replace(/\.ts$/, ".mjs")),
    );
    bundles.set(source, bundled);
  }
  return bundled;
}
