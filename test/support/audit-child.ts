/**
 * A process for the SIGTERM test of the PostgreSQL audit sink: a manager whose reads (cache hits,
 * as fast as it can) go to the sink, and `flushOnShutdown` for SIGTERM. It prints `running` once
 * events flow; on SIGTERM it stops reading, closes the sink (flushing the queue) and prints the
 * sink's counters (and how many events were queued when the signal came) as one JSON line, then dies of the signal.
 */
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { postgresAuditSink } from "../../src/ops/audit/index.js";
import { flushOnShutdown } from "../../src/ops/audit/shutdown.js";
import { keyring } from "./fixtures.js";
import { POSTGRES_URL } from "./postgres.js";

const [schema, tenant] = process.argv.slice(2) as [string, string];
// why: a long flush interval and large batches keep thousands of events queued at any moment.
const audit = postgresAuditSink({
  connectionString: POSTGRES_URL,
  schema,
  flushIntervalMs: 5_000,
  batchSize: 50_000,
});
const manager = new CredentialManager({
  backend: memoryBackend(),
  encryption: keyring(),
  audit: { sinks: [audit.sink] },
});
await manager.storeCredentials("conn", tenant, { apiKey: "sk-child-aaaaaaaaaaaa" });

let reading = true;
let queuedAtSignal = 0;
const stopReading = async () => {
  reading = false;
  queuedAtSignal = audit.stats().queued;
};
const report = async () => {
  process.stdout.write(`${JSON.stringify({ ...audit.stats(), queuedAtSignal })}\n`);
};
flushOnShutdown([{ close: stopReading }, audit, { close: report }]);
let announced = false;
while (reading) {
  for (let index = 0; index < 100; index++) await manager.getCredentials("conn", tenant);
  if (!announced && audit.stats().received > 1000) {
    announced = true;
    process.stdout.write("running\n");
  }
  await new Promise((resolve) => setImmediate(resolve));
}
