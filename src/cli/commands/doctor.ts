/**
 * `credkit doctor`: checks a deployment's configuration the way the library will use it, one
 * verdict line per check, and exits non-zero when any fails: configuration, SDK presence,
 * connectivity, a write-read-delete round trip under a scratch reserved name (never a tenant's
 * credential), and whether the keyring opens the stored credentials.
 */
import { randomBytes } from "node:crypto";
import { loadBackendDefinition, resolveBackendType } from "../../core/backend-registry.js";
import { DEFAULT_BACKEND } from "../../core/create-credential-manager.js";
import type { CredentialManager } from "../../core/credential-manager.js";
import { CredkitError, ValidationError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { ownedCredentials, reservedName } from "../../core/system-records.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output } from "../output.js";

/** One check's verdict. */
interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The tenant the round trip writes under; its name is a reserved one no tenant can take. */
const DOCTOR_TENANT = "credkit-doctor";

function failure(error: unknown): string {
  const safe = scrubError(error);
  return CredkitError.isInstance(error) ? `${error.code}: ${safe.message}` : safe.message;
}

async function check(name: string, body: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await body() };
  } catch (error) {
    return { name, ok: false, detail: failure(error) };
  }
}

async function sdkCheck(packages: readonly string[]): Promise<string> {
  const missing: string[] = [];
  for (const name of packages) {
    try {
      await import(name);
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0)
    throw new Error(`not installed: ${missing.join(", ")} (npm install ${missing.join(" ")})`);
  return packages.length === 0 ? "none needed" : `installed: ${packages.join(", ")}`;
}

async function roundTrip(manager: CredentialManager): Promise<string> {
  const scratch = ownedCredentials(manager);
  const name = reservedName("doctor", randomBytes(6).toString("hex"));
  const value = randomBytes(24).toString("base64url");
  await scratch.storeCredentials(name, DOCTOR_TENANT, { value }, { actor: "credkit-doctor" });
  try {
    const read = await scratch.getCredentials(name, DOCTOR_TENANT, { forceRefresh: true });
    if (read.value?.reveal() !== value) throw new Error("the value read back differs from the one written");
  } finally {
    await scratch.purgeCredentials(name, DOCTOR_TENANT);
  }
  return "wrote, read back and removed a scratch credential";
}

async function keyCheck(manager: CredentialManager): Promise<string> {
  const result = await manager.verifyKeys({ latestOnly: true });
  if (result.keyProvider === "unusable") {
    throw new Error(
      `the key provider is unusable: ${result.keyProviderError?.message ?? "its check failed"}`,
    );
  }
  if (result.unopenable.length > 0) {
    const missing =
      result.missingKeyIds.length > 0 ? `; missing keys: ${result.missingKeyIds.join(", ")}` : "";
    throw new Error(
      `${result.unopenable.length} of ${result.checked} credentials cannot be opened${missing}`,
    );
  }
  return `${result.openable} of ${result.checked} credentials open with the current keyring`;
}

/** Runs every check; prints one line each; exits 1 when one fails. */
export async function doctorCommand(options: GlobalOptions): Promise<void> {
  const output = new Output(options);
  const requested = options.backend ?? process.env.VAULT_TYPE ?? DEFAULT_BACKEND;
  let packages: readonly string[] = [];
  const configuration = await check("configuration", async () => {
    const type = resolveBackendType(requested);
    if (!type) throw new ValidationError(`unknown backend "${requested.slice(0, 40)}"`, "backend");
    const definition = await loadBackendDefinition(type);
    packages = definition.packages ?? [];
    const missing = definition.missingVariables(process.env);
    if (missing.length > 0) throw new Error(`missing ${missing.join(", ")} for backend ${type}`);
    return `backend ${type}`;
  });
  const checks = [configuration];
  if (configuration.ok) {
    checks.push(await check("sdk", () => sdkCheck(packages)));
    const later: Check[] = [];
    const connectivity = await check("connectivity", () =>
      withManager(options, async (manager) => {
        await manager.listCredentials(DOCTOR_TENANT, { limit: 1 });
        later.push(await check("round trip", () => roundTrip(manager)));
        later.push(await check("keys", () => keyCheck(manager)));
        return `reached the ${manager.backend.name} backend`;
      }),
    );
    checks.push(connectivity, ...later);
  }
  const ok = checks.every((item) => item.ok);
  output.result({ ok, checks }, () =>
    checks.map((item) => `${item.ok ? "ok  " : "FAIL"}  ${item.name}: ${item.detail}`),
  );
  if (!ok) process.exitCode = EXIT_FAILURE;
}
