/**
 * The names an entry exports, values and types alike, as the TypeScript checker sees them
 * (re-exports followed, each name once). The one way this project counts the root entry's names:
 * `npx tsx scripts/export-names.ts [entry]` prints the count and the names of an entry (default
 * src/index.ts, "credkit"); test/kit/entries.test.ts holds the root's count to ROOT_EXPORT_LIMIT.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The most names the root entry may export. */
export const ROOT_EXPORT_LIMIT = 60;

/**
 * The names exported by `entry` (a path under the repository, e.g. "src/index.ts"), sorted. Only
 * the entry and the modules it re-exports from are read (`noResolve`): a name's declaration is all
 * the count needs, not its type.
 */
export function exportNames(entry = "src/index.ts"): string[] {
  const file = join(root, entry);
  const text = ts.sys.readFile(file) ?? "";
  const reExported = [...text.matchAll(/from "(\.[^"]+)\.js"/g)].map((match) =>
    join(dirname(file), `${match[1]}.ts`),
  );
  const program = ts.createProgram([file, ...reExported], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    noResolve: true,
    noLib: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${entry} is not a module`);
  return checker
    .getExportsOfModule(module)
    .map((symbol) => symbol.name)
    .sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = exportNames(process.argv[2]);
  console.log(`${names.length} names: ${names.join(" ")}`);
}
