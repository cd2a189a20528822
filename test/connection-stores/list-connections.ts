/**
 * A separate process for the restart test: opens the file store in <directory> with the default
 * ConnectorService store, and prints the tenant's connections as JSON (each with the length of
 * its resolved key, never the key).
 */
import { fileBackend } from "../../src/backends/file/index.js";
import { ConnectorService } from "../../src/connectors/service.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import type { Secret } from "../../src/core/secret.js";
import { keyring } from "../support/fixtures.js";

const [directory, tenantId] = process.argv.slice(2) as [string, string];
const manager = new CredentialManager({ backend: fileBackend({ directory }), encryption: keyring() });
const service = new ConnectorService({ credentials: manager, tenantId });
const items = [];
let cursor: string | undefined;
do {
  const page = await service.list({ limit: 2, ...(cursor !== undefined ? { cursor } : {}) });
  items.push(...page.items);
  cursor = page.cursor;
} while (cursor !== undefined);
items.sort((a, b) => (a.id < b.id ? -1 : 1));
const first = items[0] ? await service.getConnectorCredentials(items[0].id) : {};
const resolved = (first.api_key as Secret | undefined)?.reveal().length;
process.stdout.write(
  `${JSON.stringify(items.map((item, index) => ({ ...item, ...(index === 0 ? { resolved } : {}) })))}\n`,
);
