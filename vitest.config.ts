import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // why: canary tests assert nothing secret reaches stdout or stderr, so keep the real console.
    silent: false,
    pool: "forks",
  },
});
