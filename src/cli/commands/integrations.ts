/**
 * `credkit integrations list|test|disable|enable`: a tenant's connections through the connector
 * service, stored where the credentials are (`credentialConnectionStore`). Listings show masked
 * credentials only; a test prints the verdict and exits 1 when the provider refused.
 */
import type { MaskedConnection } from "../../connectors/service/masked.js";
import { ConnectorService } from "../../connectors/service.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output, table } from "../output.js";

/** Options of the integrations commands. */
export interface IntegrationOptions extends GlobalOptions {
  /** Hosts a connection's URL may reach although private or loopback (egress allowHosts). */
  allowHost?: string[];
  message?: string;
}

function withService<T>(
  tenantId: string,
  options: IntegrationOptions,
  use: (service: ConnectorService) => Promise<T>,
): Promise<T> {
  return withManager(options, (credentials) => {
    const allowHosts = options.allowHost ?? [];
    const service = new ConnectorService({
      credentials,
      tenantId,
      actor: "credkit-cli",
      ...(allowHosts.length > 0 ? { connectorOptions: { egress: { allowHosts } } } : {}),
    });
    return use(service);
  });
}

/** `integrations list`: every connection of the tenant, credentials masked. */
export async function listIntegrations(tenantId: string, options: IntegrationOptions): Promise<void> {
  const output = new Output(options);
  const items = await withService(tenantId, options, async (service) => {
    const all: MaskedConnection[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.listMasked({ limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      all.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return all;
  });
  output.result(items, () =>
    items.length === 0
      ? `No integrations for tenant ${tenantId}.`
      : table(
          ["ID", "CONNECTOR", "NAME", "STATUS", "UPDATED"],
          items.map((item) => [item.id, item.connector, item.instanceName, item.status, item.updatedAt]),
        ),
  );
}

/** `integrations test`: the provider's verdict; exit 1 when it is not a success. */
export async function testIntegration(
  tenantId: string,
  id: string,
  options: IntegrationOptions,
): Promise<void> {
  const output = new Output(options);
  const result = await withService(tenantId, options, (service) => service.testConnectorConnection(id));
  output.result(
    { id, ...result },
    () =>
      `${result.success ? "ok  " : "FAIL"}  ${id}: ${result.status}${result.error ? ` — ${result.error}` : ""}`,
  );
  if (!result.success) process.exitCode = EXIT_FAILURE;
}

/** `integrations disable` / `enable`: the connection's new status. */
export async function setIntegrationEnabled(
  tenantId: string,
  id: string,
  enabled: boolean,
  options: IntegrationOptions,
): Promise<void> {
  const output = new Output(options);
  const record = await withService(tenantId, options, (service) =>
    enabled ? service.enable(id) : service.disable(id, options.message),
  );
  output.result(record, () => `${id}: ${record.status}`);
}
