import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ConfigurationError } from "../../src/core/errors.js";
import { configurationError, keyring, TEST_KEY_A } from "../support/fixtures.js";

const NOBODY = 65534;
const posixRoot = process.getuid?.() === 0;
let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "credkit-first-time-"));
  vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

describe("issue 13 item 12: the file store refuses a directory or key file another local user controls", () => {
  it("a store directory open to group and others is refused, naming the path and the fix", async () => {
    const store = join(directory, "store");
    await mkdir(store, { mode: 0o700 });
    await chmod(store, 0o777);
    const error = await configurationError(createCredentialManager({ env: { CREDKIT_FILE_DIR: store } }));
    expect(error.message).toContain(store);
    expect(error.message).toContain(`chmod 700 ${store}`);
    // The backend object refuses too, before reading anything.
    await expect(fileBackend({ directory: store }).get({} as never)).rejects.toThrow(ConfigurationError);
  });

  it.skipIf(!posixRoot)(
    "a directory and key owned by another user are refused, and a record forged there is never served",
    async () => {
      // The attack: another user made a 0777 store with a 0644 key and a forged record.
      const store = join(directory, "planted");
      const env = { CREDKIT_FILE_DIR: store };
      const victim = await createCredentialManager({ env });
      await victim.storeCredentials("forged", "t", { apiKey: "forged-by-nobody-1234" });
      await chown(store, NOBODY, NOBODY);
      await chmod(store, 0o777);
      await chown(join(store, "key"), NOBODY, NOBODY);
      await chmod(join(store, "key"), 0o644);
      const error = await configurationError(createCredentialManager({ env }));
      expect(error.message).toContain(`owned by user id ${NOBODY}`);
      expect(error.message).toContain(store);
      // A backend object over the planted store serves nothing either: its first read is refused.
      const planted = new CredentialManager({
        backend: fileBackend({ directory: store }),
        encryption: keyring(),
      });
      await expect(planted.getCredentials("forged", "t")).rejects.toThrow(/owned by user id/);
      // Directory fixed but the key file still belongs to the other user: refused.
      await chown(store, 0, 0);
      await chmod(store, 0o700);
      const keyError = await configurationError(createCredentialManager({ env }));
      expect(keyError.message).toContain(join(store, "key"));
    },
  );

  it("a development key file readable by others is refused with the chmod fix", async () => {
    const env = { CREDKIT_FILE_DIR: directory };
    await chmod(directory, 0o700);
    await createCredentialManager({ env });
    await chmod(join(directory, "key"), 0o644);
    const error = await configurationError(createCredentialManager({ env }));
    expect(error.message).toContain(`chmod 600 ${join(directory, "key")}`);
  });

  it("NODE_ENV is normalised: 'Production' and 'production ' create no development key", async () => {
    for (const NODE_ENV of ["Production", "production ", " PRODUCTION"]) {
      const store = join(directory, `p${NODE_ENV.trim()}${NODE_ENV.length}`);
      const error = await configurationError(
        createCredentialManager({ env: { CREDKIT_FILE_DIR: store, NODE_ENV } }),
      );
      expect(error.missing).toContain("CREDENTIAL_ENCRYPTION_KEY");
      expect(await readdir(store).catch(() => [])).not.toContain("key");
      expect(() => memoryBackend({ env: { NODE_ENV } })).toThrow(ConfigurationError);
    }
  });
});

describe("issue 13 item 13: file-store failures are typed, at creation, with the path", () => {
  it("CREDKIT_FILE_DIR pointing at a file is a ConfigurationError naming it", async () => {
    const file = join(directory, "a-file");
    await writeFile(file, "x");
    const error = await configurationError(
      createCredentialManager({ env: { CREDKIT_FILE_DIR: file, CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A } }),
    );
    expect(error.message).toContain(file);
    expect(error.message).toContain("a file is in the way");
  });

  it("CREDKIT_FILE_DIR='' is unset: the store goes to ./.credkit, not the working directory", async () => {
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      const manager = await createCredentialManager({ env: { CREDKIT_FILE_DIR: "" } });
      await manager.storeCredentials("c", "t", { apiKey: "empty-dir-variable-1" });
      expect(await readdir(directory)).toEqual([".credkit"]);
      expect((await readdir(join(directory, ".credkit"))).sort()).toEqual(["key", "records"]);
    } finally {
      process.chdir(cwd);
    }
  });

  it.skipIf(!posixRoot)(
    "an unwritable working directory or store is found at creation, typed, as another user",
    async () => {
      // Run as `nobody`: root can write anywhere, so only another user can meet EACCES.
      const locked = join(directory, "locked");
      await mkdir(locked, { mode: 0o755 });
      const readOnlyStore = join(directory, "read-only-store");
      await mkdir(readOnlyStore, { mode: 0o500 });
      await chown(readOnlyStore, NOBODY, NOBODY);
      await chmod(directory, 0o755);
      const script = `
      const { createCredentialManager } = await import(${JSON.stringify(pathToFileURL(resolve("src/index.ts")).href)});
      const results = [];
      for (const env of [{}, { CREDKIT_FILE_DIR: ${JSON.stringify(readOnlyStore)}, CREDENTIAL_ENCRYPTION_KEY: ${JSON.stringify(TEST_KEY_A)} }]) {
        const error = await createCredentialManager({ env }).then(() => undefined, (e) => e);
        results.push({ code: error?.code, message: error?.message });
      }
      console.log(JSON.stringify(results));`;
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href,
          "--input-type=module",
          "-e",
          script,
        ],
        {
          cwd: locked,
          uid: NOBODY,
          gid: NOBODY,
          encoding: "utf8",
          env: { PATH: process.env.PATH, HOME: "/tmp", NODE_PATH: resolve("node_modules") },
        },
      );
      expect(child.stderr).not.toContain("EACCES");
      const results = JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as Array<{
        code: string;
        message: string;
      }>;
      expect(results[0]?.code).toBe("configuration");
      expect(results[0]?.message).toContain(join(locked, ".credkit"));
      expect(results[1]?.code).toBe("configuration");
      expect(results[1]?.message).toContain(readOnlyStore);
      expect(results[1]?.message).toContain("cannot write");
    },
  );
});

describe("issue 13 item 14: a file backend object gets the development key like the default does", () => {
  it("createCredentialManager({ backend: fileBackend({ directory }) }) works outside production", async () => {
    const manager = await createCredentialManager({ backend: fileBackend({ directory }), env: {} });
    await manager.storeCredentials("c", "t", { apiKey: "object-path-value-1" });
    expect((await stat(join(directory, "key"))).mode & 0o777).toBe(0o600);
    const again = await createCredentialManager({ env: { CREDKIT_FILE_DIR: directory } });
    expect((await again.getCredentials("c", "t")).apiKey?.reveal()).toBe("object-path-value-1");
  });
});

describe("issue 13 item 15: configuration a user gets right the first time", () => {
  it("VAULT_TYPE= (empty, as .env files write it) is the default store", async () => {
    const manager = await createCredentialManager({ env: { VAULT_TYPE: "", CREDKIT_FILE_DIR: directory } });
    expect(manager.backend.name).toBe("file");
  });

  it("every problem is reported at once, each with its fix", async () => {
    const error = await configurationError(
      createCredentialManager({ env: { VAULT_TYPE: "memory", NODE_ENV: "production" } }),
    );
    expect(error.message).toContain("2 problems");
    expect(error.message).toMatch(/memory backend .* refused when NODE_ENV=production/);
    expect(error.message).toContain("CREDENTIAL_ENCRYPTION_KEY is not set");
    expect(error.message).toContain("randomBytes(32)");
    expect(error.missing).toEqual(["VAULT_TYPE", "CREDENTIAL_ENCRYPTION_KEY"]);
  });

  it("the alternatives are named: AWS_REGION or AWS_DEFAULT_REGION or AWS_PROFILE", async () => {
    const error = await configurationError(
      createCredentialManager({ env: { VAULT_TYPE: "aws", NODE_ENV: "production" } }),
    );
    expect(error.message).toContain("AWS_DEFAULT_REGION");
    expect(error.message).toContain("AWS_PROFILE");
  });

  it("a malformed key is reported as malformed, not missing", async () => {
    const error = await configurationError(
      createCredentialManager({
        env: { CREDKIT_FILE_DIR: directory, CREDENTIAL_ENCRYPTION_KEY: "not-a-key" },
      }),
    );
    expect(error.message).toContain("must be exactly 32 bytes");
    expect(error.message).not.toContain("is not set");
  });
});
