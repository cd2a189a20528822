/**
 * The built `credkit` bin for tests. It is built from the sources with tsup (the build `npm run
 * build` uses, only the cli entry, without type declarations) into node_modules/.cache, once per
 * state of the sources: test files share it, and a fresh clone builds it on first use.
 */
import { type SpawnOptions, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CACHE = join(ROOT, "node_modules/.cache/credkit-cli-test");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function sourceHash(): string {
  const hash = createHash("sha256");
  for (const file of [...sourceFiles(join(ROOT, "src")), join(ROOT, "package.json")]) {
    hash.update(file).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

let built: Promise<string> | undefined;

async function build(): Promise<string> {
  const target = join(CACHE, sourceHash());
  const bin = join(target, "cli/index.js");
  if (existsSync(bin)) return bin;
  const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
    peerDependencies: Record<string, string>;
    dependencies: Record<string, string>;
  };
  const staging = `${target}.${process.pid}.tmp`;
  mkdirSync(CACHE, { recursive: true });
  const { build: tsup } = await import("tsup");
  await tsup({
    config: false,
    entry: { "cli/index": join(ROOT, "src/cli/index.ts") },
    outDir: staging,
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: true,
    dts: false,
    clean: false,
    silent: true,
    external: [...Object.keys(packageJson.peerDependencies), ...Object.keys(packageJson.dependencies)],
    define: { __CREDKIT_VERSION__: JSON.stringify(packageJson.version) },
  });
  try {
    renameSync(staging, target);
  } catch {
    // why: another test file built the same sources first; use its build.
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

/** The path of the built bin (built on first call). */
export function cliBin(): Promise<string> {
  built ??= build();
  return built;
}

/**
 * A test file's set-up: the bin built before its tests, and a scratch directory (named with
 * `prefix`) removed after them. Returns the directory.
 */
export function cliScratchDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(async () => {
    await cliBin();
  }, 120_000);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** What a finished run of the bin printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  /** Environment of the child: replaces process.env entirely (tests pin everything). */
  env: Record<string, string>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
}

/** Runs the built bin with `args` and waits for it to exit. */
export async function runCli(args: readonly string[], options: RunCliOptions): Promise<CliResult> {
  const bin = await cliBin();
  const spawnOptions: SpawnOptions = { env: options.env, cwd: options.cwd ?? process.cwd(), stdio: "pipe" };
  const child = spawn(process.execPath, [bin, ...args], spawnOptions);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  child.stdin?.end(options.input ?? "");
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** A minimal environment for the child: PATH and HOME only, plus what the test sets. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    NODE_ENV: "test",
    ...extra,
  };
}
