/**
 * A connector whose SDK is not installed fails with `DependencyMissingError` naming the package.
 * Runs in a child process whose module resolution cannot find the provider SDKs (a
 * resolve hook answers ERR_MODULE_NOT_FOUND for them, as Node does for a missing package).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { BUILTIN_CONNECTORS } from "../../src/connectors/catalog.js";

const packages = {
  openai: "openai",
  anthropic: "@anthropic-ai/sdk",
  firecrawl: "@mendable/firecrawl-js",
  gemini: "@google/genai",
  mistral: "@mistralai/mistralai",
  cohere: "cohere-ai",
  groq: "openai",
};
let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

it("each SDK connector names its package when the SDK is missing; the catalog still loads", async () => {
  dir = await mkdtemp(join(tmpdir(), "credkit-missing-sdk-"));
  const hooks = join(dir, "hooks.mjs");
  await writeFile(
    hooks,
    `const missing = ${JSON.stringify(Object.values(packages))};
export async function resolve(specifier, context, next) {
  if (missing.some((name) => specifier === name || specifier.startsWith(name + "/"))) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
`,
  );
  const registry = pathToFileURL(join(process.cwd(), "src/connectors/registry.ts")).href;
  const script = join(dir, "run.mts");
  await writeFile(
    script,
    `import { register } from "node:module";
register(${JSON.stringify(pathToFileURL(hooks).href)});
const { connectorIds, getConnector } = await import(${JSON.stringify(registry)});
const results = { ids: connectorIds() };
for (const id of ${JSON.stringify(Object.keys(packages))}) {
  try {
    await getConnector(id, { apiKey: "placeholder-key-0123456789" });
    results[id] = "built";
  } catch (error) {
    results[id] = { name: error.name, message: error.message, packageName: error.packageName };
  }
}
console.log(JSON.stringify(results));
`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], {
    cwd: process.cwd(),
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const results = JSON.parse(stdout.trim().split("\n").at(-1) as string);
  expect(results.ids).toEqual(Object.keys(BUILTIN_CONNECTORS).sort());
  for (const [id, name] of Object.entries(packages)) {
    expect(results[id]).toMatchObject({ name: "DependencyMissingError", packageName: name });
    expect(results[id].message).toContain(`npm install ${name}`);
  }
});
