/**
 * The package's fixed entries: the root ("credkit") stays small and for application code, the
 * names for connector authors live in credkit/connector, and every fixed export of package.json
 * is built by tsup and mapped by tsconfig.json (which the examples and docs blocks compile with).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { exportNames, ROOT_EXPORT_LIMIT } from "../../scripts/export-names.js";
import tsup from "../../tsup.config.js";

const root = join(import.meta.dirname, "../..");
const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, string | { import: { default: string } }>;
};

/** The names a connector author needs, exported by credkit/connector and not by the root. */
const CONNECTOR_AUTHOR_NAMES = [
  "defineConnector",
  "registerConnector",
  "ConnectorRegistry",
  "createConnectorRegistry",
  "ConnectorTypes",
  "connectorCatalog",
  "ConnectorSpec",
  "ConnectorDefinition",
  "ConnectionStore",
];

describe("package entries", () => {
  let cached: string[] | undefined;
  const rootNames = () => {
    cached ??= exportNames("src/index.ts");
    return cached;
  };

  it(`the root entry exports at most ${ROOT_EXPORT_LIMIT} names`, () => {
    const names = rootNames();
    expect(
      names.length,
      `src/index.ts exports ${names.length} names: ${names.join(" ")}`,
    ).toBeLessThanOrEqual(ROOT_EXPORT_LIMIT);
    for (const name of [
      "createCredentialManager",
      "CredentialManager",
      "getConnector",
      "ConnectorService",
      "Secret",
    ])
      expect(names, `application code needs ${name} from "credkit"`).toContain(name);
  });

  it("credkit/connector holds the connector authors' names, which the root does not repeat", () => {
    const connector = exportNames("src/connectors/index.ts");
    const fromRoot = new Set(rootNames());
    for (const name of CONNECTOR_AUTHOR_NAMES) {
      expect(connector, `credkit/connector does not export ${name}`).toContain(name);
      expect(fromRoot.has(name), `"credkit" still exports ${name}`).toBe(false);
    }
  });

  it("every fixed export of package.json is a tsup entry and a tsconfig.json path to the same source", () => {
    const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile).config as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    const entries = (tsup as { entry: Record<string, string> }).entry;
    const fixed = Object.entries(packageJson.exports).filter(
      ([subpath]) => !subpath.includes("*") && !subpath.endsWith(".json"),
    );
    expect(fixed.length).toBeGreaterThan(5);
    for (const [subpath, target] of fixed) {
      const built = typeof target === "string" ? target : target.import.default;
      const name = /^\.\/dist\/(.+)\.js$/.exec(built)?.[1] as string;
      expect(
        entries[name],
        `package.json exports ${subpath} (${built}) but tsup.config.ts builds no ${name}`,
      ).toBeDefined();
      const specifier = subpath === "." ? "credkit" : `credkit/${subpath.slice(2)}`;
      expect(config.compilerOptions.paths[specifier], `tsconfig.json paths has no ${specifier}`).toEqual([
        `./${entries[name]}`,
      ]);
    }
  });
});
