#!/usr/bin/env bash
# Installs the packed tarball into an empty directory WITHOUT the optional peer SDKs and checks
# that: the root entry imports (ESM and CommonJS) and works on the embedded backends; a backend
# and a connector whose SDK is missing fail with DependencyMissingError naming the package; the
# admin page is served by credkit/http. `--no-build` packs the dist already built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$root"
if [ "${1:-}" != --no-build ]; then npm run --silent build >/dev/null; fi
tarball=$(npm pack --silent --pack-destination "$scratch" | tail -n 1)
cd "$scratch"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "./$tarball" >/dev/null
for sdk in openai @aws-sdk/client-secrets-manager pg node-vault ioredis; do
  if [ -d "node_modules/$sdk" ]; then echo "smoke: optional peer $sdk was installed" >&2; exit 1; fi
done
cat > smoke.mjs <<'JS'
import assert from "node:assert/strict";
import { createCredentialManager, DependencyMissingError, Secret } from "credkit";
import { awsSecretsManagerBackend } from "credkit/backends/aws-secrets-manager";

const key = "ab".repeat(32);
const manager = await createCredentialManager({ backend: "memory", encryptionKey: key });
await manager.storeCredentials("c", "t", { apiKey: "sk-smoke-test-value-123" });
const creds = await manager.getCredentials("c", "t");
assert.ok(creds.apiKey instanceof Secret);
assert.equal(creds.apiKey.reveal(), "sk-smoke-test-value-123");
assert.equal(String(creds.apiKey), "***e-123");

async function missing(run, pkg) {
  try {
    await run();
  } catch (error) {
    assert.ok(DependencyMissingError.isInstance(error), `expected DependencyMissingError, got ${error}`);
    assert.equal(error.packageName, pkg);
    assert.match(error.message, new RegExp(`npm install ${pkg.replace("/", "\\/")}`));
    return;
  }
  assert.fail(`expected ${pkg} to be reported missing`);
}

await missing(async () => {
  const aws = await createCredentialManager({
    backend: awsSecretsManagerBackend({ region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
    encryptionKey: key,
  });
  await aws.getCredentials("c", "t");
}, "@aws-sdk/client-secrets-manager");
// Issue 13 item 16: a backend chosen by name finds its missing SDK at creation, in the one
// ConfigurationError that lists every problem with its fix.
async function missingAtCreation(env, pkg) {
  const error = await createCredentialManager({ env }).then(() => undefined, (caught) => caught);
  assert.ok(error?.code === "configuration", `expected a ConfigurationError at creation, got ${error}`);
  assert.ok(error.missing.includes(pkg), `expected ${pkg} among ${error.missing}`);
  assert.match(error.message, new RegExp(`npm install ${pkg.replace("/", "\\/")}`));
}
await missingAtCreation({ VAULT_TYPE: "postgres", DATABASE_URL: "postgres://127.0.0.1:9/none", CREDENTIAL_ENCRYPTION_KEY: key }, "pg");
await missingAtCreation({ VAULT_TYPE: "aws", AWS_REGION: "us-east-1", CREDENTIAL_ENCRYPTION_KEY: key }, "@aws-sdk/client-secrets-manager");
const ops = await import("credkit/ops");
await missing(() => ops.fleetInvalidation(manager, ops.redisInvalidation()), "ioredis");
const brokered = await import("credkit/brokered");
await missing(() => brokered.postgresUsageStore({ connectionString: "postgres://127.0.0.1:9/none" }).totals(), "pg");
const { getConnector } = await import("credkit");
await missing(() => getConnector("openai", { apiKey: "sk-smoke-connector-123" }), "openai");
// credkit/connector: a connector written outside the package, in a registry of its own.
const { createConnectorRegistry, defineConnector } = await import("credkit/connector");
const echo = defineConnector({
  spec: {
    id: "echo", displayName: "Echo", category: "test", description: "Says what it is given",
    fields: [{ name: "apiKey", label: "API key", secret: true, required: true, pattern: "^ek-" }],
    docsUrl: "https://example.com",
  },
  async setup(ctx) {
    const key = ctx.secret("apiKey");
    return { client: {}, methods: { say: async (text) => `${text} (${String(key)})` }, verify: async () => ({}) };
  },
});
const registry = createConnectorRegistry({ builtins: false }).register(echo);
const said = await registry.with("echo", { apiKey: "ek-smoke-connector-1" }, (connector) => connector.say("hi"));
assert.ok(said.startsWith("hi (***") && !said.includes("ek-smoke"), said);
console.log("smoke (ESM): ok");

// The admin page is served from the built package (its files are bundled, not read from disk).
const { adminPage, createRouter } = await import("credkit/http");
const router = createRouter({
  credentials: manager,
  authenticate: () => ({ tenantId: "t", actor: "smoke" }),
  prefix: "/ck",
  mounts: [adminPage()],
});
const page = await router.fetch(new Request("http://localhost/ck/admin/"));
assert.equal(page.status, 200);
assert.match(page.headers.get("content-security-policy"), /default-src 'self'/);
assert.match(await page.text(), /<script type="module" src="admin.js">/);
const script = await router.fetch(new Request("http://localhost/ck/admin/admin.js"));
assert.equal(script.status, 200);
assert.ok((await script.text()).length > 1000);
console.log("smoke (admin page): ok");
JS
cat > smoke.cjs <<'JS'
const assert = require("node:assert/strict");
const credkit = require("credkit");
assert.equal(typeof credkit.createCredentialManager, "function");
assert.equal(typeof credkit.Secret, "function");
assert.equal(String(new credkit.Secret("sk-commonjs-smoke-value")), "***value");
console.log("smoke (CommonJS): ok");
JS
node smoke.mjs
node smoke.cjs

# Issue 13 item 19: a user's strict TypeScript app (exactOptionalPropertyTypes on) type-checks
# against the root entry's declarations with no optional SDK installed, passing possibly-undefined
# values to options and calling a typed connector. The connector types name no SDK (see
# src/core/optional-types.ts) and the PostgreSQL stores live in their subpath, so skipLibCheck is
# off: every declaration the root entry reaches compiles without any optional package.
cat > app.ts <<'TS'
import { createCredentialManager, type CredentialManager, getConnector } from "credkit";
import { defineConnector, registerConnector } from "credkit/connector";

const maybeDate: Date | undefined = process.env.EXPIRES ? new Date(process.env.EXPIRES) : undefined;
const manager: CredentialManager = await createCredentialManager({
  backend: process.env.VAULT_TYPE,
  encryptionKey: process.env.CREDENTIAL_ENCRYPTION_KEY,
  cache: undefined,
});
await manager.storeCredentials("openai", "tenant-1", { apiKey: "sk-value" }, { expiresAt: maybeDate });
const openai = await getConnector("openai", await manager.getCredentials("openai", "tenant-1"));
const text: string = (await openai.generateText("Hello")).text;
const vectors: number[][] = (await openai.createEmbeddings(["a", "b"])).embeddings;
// A connector declared through credkit/connector is typed by the root entry's getConnector.
const echo = defineConnector({
  spec: { id: "echo", displayName: "Echo", category: "test", description: "Echo", fields: [], docsUrl: "https://example.com" },
  async setup() {
    return { client: {}, methods: { say: async (value: string) => value }, verify: async () => ({}) };
  },
});
registerConnector(echo);
const said: string = await (await getConnector("echo", {})).say("hi");
console.log(text, vectors, said);
declare module "credkit/connector" {
  interface ConnectorTypes {
    echo: Awaited<ReturnType<typeof echo.create>>;
  }
}
TS
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "skipLibCheck": false, "exactOptionalPropertyTypes": true, "noEmit": true,
    "types": ["node"], "typeRoots": ["ROOT/node_modules/@types"]
  },
  "files": ["app.ts"]
}
JSON
sed -i "s|ROOT|$root|" tsconfig.json
echo '{"type":"module"}' > package.json.tmp && node -e 'const p=require("./package.json"); p.type="module"; require("fs").writeFileSync("package.json", JSON.stringify(p))' && rm package.json.tmp
"$root/node_modules/.bin/tsc" -p tsconfig.json
echo "smoke (declarations: exactOptionalPropertyTypes app, no optional SDKs): ok"
