/**
 * The connector flow, offline: both storage options, the masked view, a test connection and
 * `withConnector` cleanup. Runs with `npx tsx examples/connectors.ts`.
 *
 * Without network (or without a key) the test connection gives a clear "Unable to connect"
 * verdict; with OPENAI_API_KEY set and network available it tests the real key.
 */
import { ConnectorService, CredentialManager, getConnector, LocalKeyring, withConnector } from "credkit";
import { memoryBackend } from "credkit/backends/memory";

const realKey = process.env.OPENAI_API_KEY;
// Offline, the provider is an address nothing listens on, so no call leaves the machine.
const baseURL = realKey ? undefined : "http://127.0.0.1:9/v1";
const demoKey = realKey ?? "sk-demo0000000000000000000000000000";

const credentials = new CredentialManager({
  backend: memoryBackend({ env: {} }),
  encryption: new LocalKeyring(Buffer.alloc(32, 7)), // a demo key: use createCredentialManager() in real code
});
const service = new ConnectorService({
  credentials,
  tenantId: "acme",
  connectorOptions: { maxRetries: 0, timeout: 2_000, ...(baseURL ? { baseURL } : {}) },
  onStatusChange: (event) => console.log(`  status ${event.from ?? "-"} → ${event.to} (${event.reason})`),
});

console.log("Option A: the key goes in configuration and is moved to the encrypted store");
const direct = await service.create({
  connector: "openai",
  instanceName: "My AI Assistant",
  configuration: { api_key: demoKey, model: "gpt-4o-mini" },
});
console.log("  stored configuration:", direct.configuration);
console.log("  secretsReferences:", direct.secretsReferences);

console.log("Option B: the connection references a stored secret");
await credentials.storeCredentials("openai_api_key", "acme", { apiKey: demoKey }, { type: "api_key" });
const referenced = await service.create({
  connector: "openai",
  instanceName: "Support bot",
  configuration: { default_model: "gpt-4o-mini" },
  secretsReferences: { api_key: { secret_name: "openai_api_key" } },
});

console.log("Masked view:", await service.getMaskedCredentials(referenced.id));

console.log("Test connection:");
const result = await service.testConnectorConnection(referenced.id);
console.log(
  `  ${result.success ? "✓ Connection successful" : `✗ Failed: ${result.error}`} (status ${result.status})`,
);

console.log("withConnector cleans up whether the function returns or throws:");
let connector: { closed: boolean } | undefined;
try {
  await withConnector(
    "openai",
    { apiKey: demoKey },
    async (openai) => {
      connector = openai;
      return openai.generateText("Hello!");
    },
    { maxRetries: 0, timeout: 2_000, ...(baseURL ? { baseURL } : {}) },
  );
} catch (error) {
  console.log(`  call failed: ${(error as Error).message}`);
}
console.log(`  connector cleaned up: ${connector?.closed}`);

let scoped: { closed: boolean } | undefined;
{
  await using anthropic = await getConnector("anthropic", { api_key: "sk-ant-demo00000000000000000000" });
  scoped = anthropic;
  console.log("await using: the anthropic connector is open:", !anthropic.closed);
}
console.log("  and cleaned up at scope exit:", scoped.closed);

console.log("Audit (who used the key):");
for (const event of credentials.audit.events({ tenant: "acme", name: "openai_api_key" })) {
  console.log(`  ${event.action} by ${event.accessor}: ${event.outcome}`);
}
