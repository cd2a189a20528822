import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileBackend } from "../../src/backends/file/index.js";
import { runBackendContract } from "../contract/backend-contract.js";

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
