import { existsSync, readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as {
  peerDependencies: Record<string, string>;
  version: string;
};

/**
 * One entry per plugin folder: credkit/backends/<name> for every backend folder,
 * credkit/keys/<name> for every key provider folder, credkit/connectors/<name> for every
 * connector folder (one holding a `spec.ts`).
 */
function folderEntries(kind: "backends" | "keys" | "connectors"): Record<string, string> {
  const names = readdirSync(`src/${kind}`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => kind !== "connectors" || existsSync(`src/${kind}/${name}/spec.ts`));
  return Object.fromEntries(names.map((name) => [`${kind}/${name}/index`, `src/${kind}/${name}/index.ts`]));
}

export default defineConfig({
  entry: {
    index: "src/index.ts",
    backend: "src/kit/index.ts",
    connector: "src/connectors/index.ts",
    testing: "src/testing/index.ts",
    "http/index": "src/http/index.ts",
    "http/client": "src/http/client.ts",
    "oauth/index": "src/oauth/index.ts",
    "ops/index": "src/ops/index.ts",
    "cli/index": "src/cli/index.ts",
    "brokered/index": "src/connectors/brokered/index.ts",
    ...folderEntries("backends"),
    ...folderEntries("keys"),
    ...folderEntries("connectors"),
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  target: "node20",
  platform: "node",
  // why: every SDK is an optional peer; none may be bundled (tsup#998 makes this explicit).
  external: Object.keys(packageJson.peerDependencies),
  // why: the credkit bin prints its version without reading package.json at run time.
  define: { __CREDKIT_VERSION__: JSON.stringify(packageJson.version) },
});
