import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ValidationError } from "../../src/core/errors.js";
import { keyring, rejection, uniqueId } from "../support/fixtures.js";

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

const stores: Array<[string, () => Promise<Backend>]> = [
  ["memory", async () => memoryBackend({ env: {} })],
  [
    "file",
    async () => {
      const directory = await mkdtemp(join(tmpdir(), "credkit-paging-"));
      directories.push(directory);
      return fileBackend({ directory });
    },
  ],
];

describe.each(stores)("issue 13 item 9: one paging model (%s)", (_name, create) => {
  it("issue 13 item 9: pages of 100 by default with a cursor, never everything at once", async () => {
    const manager = new CredentialManager({ backend: await create(), encryption: keyring(), cache: false });
    const tenant = uniqueId("tenant");
    for (let index = 0; index < 230; index++) {
      await manager.storeCredentials(`c${String(index).padStart(3, "0")}`, tenant, { apiKey: "k" });
    }
    const sizes: number[] = [];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await manager.listCredentials(tenant, cursor ? { cursor } : {});
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.connectionId));
      cursor = page.cursor;
    } while (cursor);
    expect(sizes).toEqual([100, 100, 30]);
    expect(new Set(seen).size).toBe(230);
  });

  it("issue 13 item 9: limit is a whole number from 1 to 1000; garbage and foreign cursors are ValidationError", async () => {
    const manager = new CredentialManager({ backend: await create(), encryption: keyring(), cache: false });
    const [a, b] = [uniqueId("tenant"), uniqueId("tenant")];
    for (const tenant of [a, b]) {
      for (const name of ["x", "y", "z"]) await manager.storeCredentials(name, tenant, { apiKey: "k" });
    }
    for (const limit of [0, -5, 1.5, 1001, Number.NaN, "10"]) {
      const error = await rejection(manager.listCredentials(a, { limit: limit as number }));
      expect(ValidationError.isInstance(error)).toBe(true);
      expect((error as ValidationError).field).toBe("limit");
    }
    const first = await manager.listCredentials(a, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.cursor).toBeDefined();
    for (const cursor of ["garbage", "1", "c1.%%%", `${first.cursor}x`]) {
      const error = await rejection(manager.listCredentials(a, { cursor }));
      expect(ValidationError.isInstance(error)).toBe(true);
    }
    const foreign = await rejection(manager.listCredentials(b, { cursor: first.cursor as string }));
    expect(ValidationError.isInstance(foreign)).toBe(true);
    const second = await manager.listCredentials(a, { limit: 1, cursor: first.cursor as string });
    expect(second.items.map((item) => item.connectionId)).not.toEqual(
      first.items.map((item) => item.connectionId),
    );
  });
});
