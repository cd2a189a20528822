/**
 * The file store's write protocol, as the file system sees it: the temporary file is on disk
 * (fsynced, or written `O_SYNC`) before it is linked to its version name, and the credential's folder is fsynced after the link
 * and before the write returns. A crash can then keep the whole version or none of it, never a
 * name without its data, and a returned write survives a crash.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { keyring } from "../support/fixtures.js";

/** File-system steps of the store, in the order they started and finished. */
const steps: string[] = [];

/** The file behind each descriptor the store opened. */
const opened = new Map<number, string>();
/** Whether the mocked `node:fs` lacks `O_SYNC`, as on Windows (read when the module loads). */
const platform = vi.hoisted(() => ({ withoutSynchronousWrites: false }));
/** Descriptors opened `O_SYNC`: a write through one returns once it is on disk, as after an fsync. */
const synchronous = new Set<number>();

/** Runs `sync`, recorded as the fsync of `file`. */
async function recordSync(file: string | undefined, sync: () => Promise<void>): Promise<void> {
  steps.push(`sync start ${file}`);
  await sync();
  steps.push(`sync done ${file}`);
}

// why: the store may make a file durable with an fsync through a descriptor (node:fs) or a
// FileHandle (node:fs/promises), or with a write through a descriptor opened O_SYNC; each is
// recorded as a sync, so the test checks the protocol whichever the store uses.
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const open = (path: string, ...rest: unknown[]) => {
    const done = rest.pop() as (error: Error | null, descriptor?: number) => void;
    Reflect.apply(actual.open, undefined, [
      path,
      ...rest,
      (error: Error | null, descriptor: number) => {
        if (!error) {
          // why: descriptor numbers are reused; each open says afresh what this one is.
          const flags = rest[0];
          const { O_SYNC } = actual.constants;
          opened.set(descriptor, basename(path));
          if (typeof flags === "number" && (flags & O_SYNC) === O_SYNC) synchronous.add(descriptor);
          else synchronous.delete(descriptor);
        }
        done(error, descriptor);
      },
    ]);
  };
  const writeFile = (file: unknown, ...rest: unknown[]) => {
    const done = rest.pop() as (error: Error | null) => void;
    const write = () =>
      new Promise<void>((resolve, reject) => {
        Reflect.apply(actual.writeFile, undefined, [
          file,
          ...rest,
          (error: Error | null) => (error ? reject(error) : resolve()),
        ]);
      });
    const durable = typeof file === "number" && synchronous.has(file);
    (durable ? recordSync(opened.get(file), write) : write()).then(() => done(null), done);
  };
  const fsync = (descriptor: number, done: (error: Error | null) => void) => {
    const sync = promisify(actual.fsync);
    recordSync(opened.get(descriptor), () => sync(descriptor)).then(() => done(null), done);
  };
  const withoutSync = { ...actual.constants, O_SYNC: undefined };
  // why: read when a module imports them, so a module loaded afresh sees the current platform.
  const platformConstants = () => (platform.withoutSynchronousWrites ? withoutSync : actual.constants);
  return {
    ...actual,
    get constants() {
      return platformConstants();
    },
    default: {
      ...actual,
      get constants() {
        return platformConstants();
      },
      open,
      fsync,
      writeFile,
    },
    open,
    fsync,
    writeFile,
  };
});

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  const open: typeof actual.open = async (path, ...rest) => {
    const handle = await actual.open(path, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = () => recordSync(basename(String(path)), sync);
    return handle;
  };
  const link: typeof actual.link = async (existing, target) => {
    steps.push(`link start ${basename(String(existing))}`);
    await actual.link(existing, target);
    steps.push(`link done ${basename(String(target))}`);
  };
  return { ...actual, default: { ...actual, open, link }, open, link };
});

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-durability-"));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** The protocol steps of the second write to one credential through `fileBackend`. */
async function secondWriteSteps(backend: typeof fileBackend) {
  const manager = new CredentialManager({
    backend: backend({ directory }),
    encryption: keyring(),
    cache: false,
  });
  await manager.storeCredentials("c", "t", { apiKey: "durable-value-1" });
  steps.length = 0;
  await manager.storeCredentials("c", "t", { apiKey: "durable-value-2" });
  steps.push("returned");
  const [tenant] = await readdir(join(directory, "records"));
  const [folder] = await readdir(join(directory, "records", tenant as string));
  const linkStart = steps.findIndex((step) => step.startsWith("link start .tmp-"));
  const temp = (steps[linkStart] as string).slice("link start ".length);
  const at = (step: string) => steps.indexOf(step);
  return {
    linkStart,
    linkDone: at("link done v0000000002.json"),
    tempSynced: at(`sync done ${temp}`),
    folderSyncStart: at(`sync start ${folder}`),
    folderSynced: at(`sync done ${folder}`),
    returned: at("returned"),
  };
}

/** Checks the order of the steps: temporary file on disk, link, folder fsync, return. */
function expectDurableOrder(order: Awaited<ReturnType<typeof secondWriteSteps>>): void {
  expect(order.linkDone).toBeGreaterThan(order.linkStart);
  expect(order.tempSynced).toBeGreaterThan(-1);
  expect(order.tempSynced).toBeLessThan(order.linkStart);
  expect(order.folderSyncStart).toBeGreaterThan(order.linkDone);
  expect(order.folderSynced).toBeGreaterThan(order.folderSyncStart);
  expect(order.folderSynced).toBeLessThan(order.returned);
}

describe("file store write protocol", () => {
  it("has the temporary file on disk before linking it, and fsyncs the folder after the link, before returning", async () => {
    expectDurableOrder(await secondWriteSteps(fileBackend));
  });

  it("fsyncs the temporary file where node:fs has no O_SYNC (Windows)", async () => {
    platform.withoutSynchronousWrites = true;
    vi.resetModules();
    try {
      const fresh = await import("../../src/backends/file/index.js");
      expectDurableOrder(await secondWriteSteps(fresh.fileBackend));
    } finally {
      platform.withoutSynchronousWrites = false;
      vi.resetModules();
    }
  });

  it("reads back a version larger than one read whole", async () => {
    const manager = new CredentialManager({
      backend: fileBackend({ directory }),
      encryption: keyring(),
      cache: false,
    });
    const value = `large-${"0123456789abcdef".repeat(3 * 1024)}`;
    await manager.storeCredentials("c", "t", { apiKey: value });
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe(value);
  });
});
