import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { IntegrityError } from "../../src/core/errors.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { keyring } from "../support/fixtures.js";

let directory: string;

runBackendContract({
  name: "file",
  create: async () => {
    directory = await mkdtemp(join(tmpdir(), "credkit-file-"));
    return fileBackend({ directory });
  },
  cleanup: async () => {
    await rm(directory, { recursive: true, force: true });
  },
});

describe("file backend", () => {
  it("keeps folders 0700 and version files 0600, and prunes beyond maxVersions", async () => {
    const root = await mkdtemp(join(tmpdir(), "credkit-perms-"));
    const manager = new CredentialManager({
      backend: fileBackend({ directory: root, maxVersions: 2 }),
      encryption: keyring(),
      cache: false,
    });
    for (let index = 1; index <= 4; index++) {
      await manager.storeCredentials("c", "t", { apiKey: `perm-value-${index}` });
    }
    const modes: Array<[string, number]> = [];
    const walk = async (folder: string): Promise<void> => {
      modes.push([folder, (await stat(folder)).mode & 0o777]);
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await walk(path);
        else modes.push([path, (await stat(path)).mode & 0o777]);
      }
    };
    await walk(join(root, "records"));
    const files = modes.filter(([path]) => path.endsWith(".json"));
    expect(files.map(([path]) => path.slice(-16))).toEqual(["v0000000003.json", "v0000000004.json"]);
    for (const [path, mode] of modes)
      expect([path, mode]).toEqual([path, path.endsWith(".json") ? 0o600 : 0o700]);
    expect((await manager.getCredentials("c", "t", { version: 4 })).apiKey?.reveal()).toBe("perm-value-4");
    await rm(root, { recursive: true, force: true });
  });

  it("reads back a version with malformed metadata or no string value as an IntegrityError", async () => {
    const root = await mkdtemp(join(tmpdir(), "credkit-guard-"));
    const manager = new CredentialManager({
      backend: fileBackend({ directory: root }),
      encryption: keyring(),
      cache: false,
    });
    await manager.storeCredentials("c", "t", { apiKey: "guard-value-1" });
    const [tenant] = await readdir(join(root, "records"));
    const [name] = await readdir(join(root, "records", tenant!));
    const path = join(root, "records", tenant!, name!, "v0000000001.json");
    const stored = JSON.parse(await readFile(path, "utf8")) as { value: string; metadata: object };
    await writeFile(path, JSON.stringify({ value: stored.value, metadata: null }));
    await expect(manager.getCredentials("c", "t")).rejects.toBeInstanceOf(IntegrityError);
    await expect(manager.listCredentials("t")).rejects.toThrow(/field `metadata`/);
    await writeFile(path, JSON.stringify({ value: 12, metadata: stored.metadata }));
    await expect(manager.getCredentials("c", "t")).rejects.toThrow(/no string value/);
    await rm(root, { recursive: true, force: true });
  });
});
