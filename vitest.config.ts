import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // why: canary tests assert nothing secret reaches stdout or stderr, so keep the real console.
    silent: false,
    pool: "forks",
    // why: most test time waits on servers and processes; two files at once keep CI under 15 minutes on 2 cores.
    maxWorkers: 2,
  },
});
