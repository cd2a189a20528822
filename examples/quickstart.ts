/**
 * credkit quickstart: runs offline on the embedded default store (./.credkit).
 *   npm install && npm run example
 * Stores a customer's key, lists it masked, resolves it, rotates it, and prints the audit trail.
 */
import { createCredentialManager, maskFields } from "credkit";

const credentials = await createCredentialManager(); // VAULT_TYPE unset → the encrypted file store
console.log(`backend: ${credentials.backend.name}`);

// A tenant (here user-42) brings their own OpenAI key.
const stored = await credentials.storeCredentials(
  "openai",
  "user-42",
  { apiKey: "sk-quickstart-demo-key-1234567890" },
  { type: "api_key", actor: "admin@example.com" },
);
console.log(
  `stored openai for user-42 at version ${stored.version} (fingerprint ${stored.fingerprints.apiKey})`,
);

// Listing shows metadata only; values never leave as plain text.
const { items } = await credentials.listCredentials("user-42");
for (const item of items) {
  console.log(`  ${item.connectionId}: ${item.type}, version ${item.version}, ${item.status}`);
}

// Resolving returns Secret values: they print masked unless you call reveal().
const creds = await credentials.getCredentials("openai", "user-42", { accessor: "connector_openai" });
console.log("resolved:", creds, "masked view:", maskFields(creds));
console.log(`ready to use: key of ${creds.apiKey?.length} characters`);

// Rotation writes a new version; ifVersion makes it a compare-and-set.
const rotated = await credentials.rotateCredentials(
  "openai",
  "user-42",
  { apiKey: "sk-quickstart-rotated-key-0987654321" },
  { ifVersion: stored.version },
);
console.log(`rotated to version ${rotated.version}`);
await credentials.getCredentials("openai", "user-42", { accessor: "connector_openai" });

console.log("audit trail (no values, ever):");
for (const event of credentials.audit.events({ tenant: "user-42" })) {
  const when = new Date(event.time).toISOString();
  const cache = event.cache ? ` cache=${event.cache}` : "";
  console.log(
    `  ${when} ${event.action} ${event.name ?? ""} by ${event.accessor}: ${event.outcome} v${event.version ?? "-"}${cache}`,
  );
}

await credentials.close();
