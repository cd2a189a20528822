/**
 * The examples run offline exactly as a user runs them (`npm run example`, `npx tsx examples/…`),
 * importing "credkit" as users do, and print no key they store.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "credkit-examples-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runExample(file: string, ...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(
    join(root, "node_modules/.bin/tsx"),
    [file.includes("/") ? file : join("examples", file), ...args],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
      // Offline and pinned: no real key, the store in a scratch directory.
      env: { PATH: process.env.PATH, CREDKIT_FILE_DIR: join(scratch, file), NODE_ENV: "development" },
    },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("examples", () => {
  it("quickstart runs offline on the embedded store and prints keys only masked", () => {
    const { status, output } = runExample("quickstart.ts");
    expect(status, output).toBe(0);
    expect(output).toContain("backend: file");
    expect(output).toContain("rotated to version 2");
    expect(output).toMatch(/Secret\(\*\*\*/);
    expect(output).not.toContain("sk-quickstart-demo-key-1234567890");
    expect(output).not.toContain("sk-quickstart-rotated-key-0987654321");
  });

  it("connectors runs offline: a clear verdict, cleanup, and no key printed", () => {
    const { status, output } = runExample("connectors.ts");
    expect(status, output).toBe(0);
    expect(output).toContain("test by connector_");
    expect(output).not.toMatch(/sk-[A-Za-z0-9-]{20,}/);
  });

  it("the Express app mounts the router on the embedded store, answers its own API-key call and stops", () => {
    const { status, output } = runExample("http-express.ts", "--check");
    expect(status, output).toBe(0);
    expect(output).toContain("GET /credkit/connectors → 200");
  });

  it("the Hono app serves the router through app.fetch with the typed client; no stored value is printed", () => {
    const { status, output } = runExample("http-hono.ts");
    expect(status, output).toBe(0);
    expect(output).toMatch(/catalog: .*openai/);
    expect(output).toMatch(/stored demo-\d+ v1; fields apiKey/);
    expect(output).not.toContain("sk-demo-not-a-real-key-000000");
  });

  it("the Next.js route handler answers as Next.js calls it: catalog, create, CSRF refusal, 401, list without values", () => {
    const { status, output } = runExample("test/kit/next-route-driver.ts");
    expect(status, output).toBe(0);
    const result = JSON.parse(
      output.split("\n").find((line) => line.startsWith('{"catalog"')) ?? "{}",
    ) as Record<string, unknown>;
    expect(result).toMatchObject({ catalog: 200, created: 201, crossSite: 403, anonymous: 401, listed: 200 });
    expect(result.body).toContain("next-demo");
    expect(output).not.toContain("sk-next-demo-not-a-real-key-0000");
  });
});
