/**
 * credkit as users run it, for the bench scenarios: the built package in dist/ (`npm run bench`
 * builds first), typed by the sources. The sources run through tsx would carry its transform's
 * overhead.
 */
export const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;

export const { CredentialManager, LocalKeyring } = (await import(
  built("index.js")
)) as typeof import("../src/index.js");
export const { memoryBackend } = (await import(
  built("backends/memory/index.js")
)) as typeof import("../src/backends/memory/index.js");
