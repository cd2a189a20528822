/**
 * A separate process writing to a file store, for the multi-process tests.
 *   burst <directory> <worker> <count>: <count> concurrent writes to one credential, then prints
 *     a JSON array of { version, value }.
 *   loop <directory> <worker>: writes large values forever, printing each value before writing
 *     it, until killed.
 */
import { fileBackend } from "../../src/backends/file/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { keyring } from "./fixtures.js";

const [mode, directory, worker, count] = process.argv.slice(2);
const manager = new CredentialManager({
  backend: fileBackend({ directory: directory as string, maxVersions: 100_000 }),
  encryption: keyring(),
  cache: false,
});

if (mode === "burst") {
  const results = await Promise.all(
    Array.from({ length: Number(count) }, async (_, index) => {
      const value = `w${worker}-${index}`;
      const info = await manager.storeCredentials("shared", "tenant", { apiKey: value });
      return { version: info.version, value };
    }),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else if (mode === "loop") {
  for (let index = 0; ; index++) {
    const value = `w${worker}-${index}-${"x".repeat(32 * 1024)}`;
    process.stdout.write(`${value.slice(0, 40)}\n`);
    await manager.storeCredentials(`record-${index % 3}`, "tenant", { big: value });
  }
}
