/**
 * One registration per plugin: each backend folder's `definition` is the single source, and
 * everything else (generated index, peer dependencies, build externals, docs page, README row)
 * must follow from it. Each check names what is missing or stale and how to fix it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BACKEND_INDEX,
  backendDefinitions,
  connectorFolders,
  pluginFolders,
  renderBackendIndex,
  renderReadme,
} from "../../scripts/generate.js";
import { BACKENDS } from "../../src/backends/index.generated.js";
import { BUILTIN_CONNECTORS } from "../../src/connectors/catalog.js";
import { backendTypes, resolveBackendType } from "../../src/core/backend-registry.js";

const root = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const packageJson = JSON.parse(read("package.json")) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};

/** Every TypeScript source file under a folder, recursively. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => read(join(folder, file)));
}

/** Bare package names a folder imports dynamically (`import("pkg")`, `typeof import("pkg")`). */
function dynamicPackages(folder: string): Set<string> {
  const found = new Set<string>();
  for (const text of sources(folder)) {
    for (const match of text.matchAll(/import\(\s*"([^".][^"]*)"\s*\)/g)) {
      const specifier = match[1] as string;
      if (specifier.startsWith("node:")) continue;
      const parts = specifier.split("/");
      found.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
    }
  }
  return found;
}

/** The README backends table: `VAULT_TYPE` cell → the whole row. */
function readmeRows(): Map<string, string> {
  const rows = new Map<string, string>();
  const lines = read("README.md").split("\n");
  const header = lines.findIndex((line) => line.startsWith("| `VAULT_TYPE` |"));
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const type = /^\| `([^`]+)`/.exec(line)?.[1];
    if (type) rows.set(type, line);
  }
  return rows;
}

describe("backend registry (one registration per folder)", async () => {
  const definitions = await backendDefinitions();

  it("the generated index is up to date with the folders (run npm run generate)", async () => {
    const stale = `${BACKEND_INDEX} is stale: run npm run generate`;
    expect(read("src/backends/index.generated.ts"), stale).toBe(await renderBackendIndex());
    expect(Object.keys(BACKENDS).sort(), "a backend folder has no loader").toEqual(pluginFolders("backends"));
  });

  it("loads every folder's definition by its type and every alias", async () => {
    for (const [type, definition] of definitions) {
      expect(backendTypes()).toContain(type);
      for (const name of [type, ...(definition.aliases ?? []), ` ${type.toUpperCase()} `]) {
        expect(resolveBackendType(name), `VAULT_TYPE=${name}`).toBe(type);
      }
      expect((await BACKENDS[type as keyof typeof BACKENDS].load()).definition).toBe(definition);
    }
  });

  it("every package a backend imports is declared in its definition's packages", () => {
    for (const [type, definition] of definitions) {
      const imported = [...dynamicPackages(`src/backends/${type}`)].sort();
      expect(imported, `src/backends/${type} imports a package missing from definition.packages`).toEqual(
        [...(definition.packages ?? [])].sort(),
      );
    }
  });

  it("every declared package is an optional peer dependency (so a build external) and a dev dependency", () => {
    for (const [type, definition] of definitions) {
      for (const name of definition.packages ?? []) {
        const where = `${name} (packages of ${type})`;
        expect(packageJson.peerDependencies[name], `${where} is not in peerDependencies`).toBeDefined();
        expect(packageJson.peerDependenciesMeta[name]?.optional, `${where} is not optional`).toBe(true);
        expect(packageJson.devDependencies[name], `${where} is not in devDependencies`).toBeDefined();
      }
    }
  });

  it("every peer dependency is loaded by some backend, key provider or connector folder (none stale)", () => {
    const used = new Set(definitions.flatMap(([, definition]) => definition.packages ?? []));
    for (const folder of connectorFolders()) {
      for (const name of dynamicPackages(`src/connectors/${folder}`)) used.add(name);
    }
    for (const folder of readdirSync(join(root, "src/keys"), { withFileTypes: true })) {
      if (folder.isDirectory()) for (const name of dynamicPackages(`src/keys/${folder.name}`)) used.add(name);
    }
    for (const name of dynamicPackages("src/ops")) used.add(name);
    // why: credkit/testing's declarations name the injected runner's types (`import type ... "vitest"`).
    for (const text of sources("src/testing")) {
      for (const match of text.matchAll(/from "([a-z@][^":]*)"/g)) used.add(match[1] as string);
    }
    expect(
      Object.keys(packageJson.peerDependencies).sort(),
      "peerDependencies and loaded packages differ",
    ).toEqual([...used].sort());
  });

  it("every backend has a docs page docs/backends/<type>.md, and every page a backend", () => {
    const pages = readdirSync(join(root, "docs/backends")).filter((file) => file.endsWith(".md"));
    expect(pages.sort(), "docs/backends pages and backend folders differ").toEqual(
      definitions.map(([type]) => `${type}.md`).sort(),
    );
    for (const [type, definition] of definitions) {
      const page = read(`docs/backends/${type}.md`);
      for (const variable of definition.variables) {
        expect(page, `docs/backends/${type}.md does not document ${variable.name}`).toContain(variable.name);
      }
    }
  });

  it("the README backends table has one row per backend, naming its aliases, packages and page", async () => {
    const readme = read("README.md");
    expect(readme, "README.md's backends table is stale: run npm run generate").toBe(
      await renderReadme(readme),
    );
    const rows = readmeRows();
    expect([...rows.keys()].sort(), "README backends table rows and backend folders differ").toEqual(
      definitions.map(([type]) => type).sort(),
    );
    for (const [type, definition] of definitions) {
      const row = rows.get(type) as string;
      for (const alias of definition.aliases ?? [])
        expect(row, `README row ${type}: alias`).toContain(`\`${alias}\``);
      for (const name of definition.packages ?? [])
        expect(row, `README row ${type}: install`).toContain(`\`${name}\``);
      expect(row, `README row ${type}: docs link`).toContain(`(docs/backends/${type}.md)`);
    }
  });
});

describe("connector registry (one registration per folder)", () => {
  const entries = Object.entries(BUILTIN_CONNECTORS);
  const folderOf = (id: string, entry: object) => ("folder" in entry ? String(entry.folder) : id);

  it("the catalog lists every connector folder, each spec under its folder's id (or its family's folder)", async () => {
    expect(
      [...new Set(entries.map(([id, entry]) => folderOf(id, entry)))].sort(),
      "src/connectors/catalog.ts and the folders differ",
    ).toEqual(connectorFolders());
    for (const [id, entry] of entries) {
      expect(entry.spec.id, `src/connectors/${folderOf(id, entry)}/spec.ts`).toBe(id);
      expect((await entry.load()).definition.spec.id, `src/connectors/${folderOf(id, entry)}/index.ts`).toBe(
        id,
      );
    }
  });

  it("every package a connector imports is its spec's sdk package, an optional peer and a dev dependency", () => {
    for (const [id, entry] of entries) {
      const { spec } = entry as { spec: { sdk?: { package: string } } };
      const declared = spec.sdk ? [spec.sdk.package] : [];
      expect(
        [...dynamicPackages(`src/connectors/${folderOf(id, entry)}`)],
        `src/connectors/${folderOf(id, entry)}: imports vs spec.sdk of ${id}`,
      ).toEqual(declared);
      for (const name of declared) {
        expect(packageJson.peerDependencies[name], `${name} (sdk of ${id}) is not a peer`).toBeDefined();
        expect(packageJson.peerDependenciesMeta[name]?.optional, `${name} is not optional`).toBe(true);
        expect(packageJson.devDependencies[name], `${name} is not a dev dependency`).toBeDefined();
      }
    }
  });

  it("docs/connectors.md has one table row per connector", () => {
    const lines = read("docs/connectors.md").split("\n");
    const header = lines.findIndex((line) => line.startsWith("| id | SDK"));
    const rows: string[] = [];
    for (const line of lines.slice(header + 2)) {
      const id = /^\| `([a-z0-9_.-]+)` \|/.exec(line)?.[1];
      if (!id) break;
      rows.push(id);
    }
    expect(rows.sort(), "docs/connectors.md rows and the catalog differ").toEqual(
      Object.keys(BUILTIN_CONNECTORS).sort(),
    );
  });
});

describe("CONTRIBUTING.md", () => {
  it("names every file and command the registry test checks", () => {
    const recipe = read("CONTRIBUTING.md");
    for (const step of [
      "src/backends/<type>/index.ts",
      "npm run generate",
      "docs/backends/<type>.md",
      "peerDependencies",
      "runBackendContract",
      "src/connectors/<id>/spec.ts",
      "src/connectors/catalog.ts",
      "docs/connectors.md",
    ]) {
      expect(recipe, `CONTRIBUTING.md does not mention ${step}`).toContain(step);
    }
  });
});
