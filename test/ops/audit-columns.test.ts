/**
 * The PostgreSQL sink's batch interns the string fields events share: each queued event must
 * still come back (at flush, and for `onDrop`) with its own tenant, name, accessor, cache
 * outcome and correlation id, however reads with different fields interleave. Correlation ids
 * (one per request, as a rule) are not interned: reads that differ only in theirs share one id.
 */
import { expect, it } from "vitest";
import type { AuditEvent } from "../../src/core/audit.js";
import { AuditBatch } from "../../src/ops/audit/columns.js";

const read = (
  accessor: string,
  cache: AuditEvent["cache"],
  correlationId?: string,
  name = "openai",
  tenant = "tenant-1",
): AuditEvent => ({
  time: 1_700_000_000_000,
  tenant,
  name,
  accessor,
  action: "read",
  outcome: "success",
  version: 1,
  cache,
  ...(correlationId === undefined ? {} : { correlationId }),
});

/** The string columns of the insert, in order. */
const STRING_FIELDS = [
  "tenant",
  "name",
  "accessor",
  "action",
  "outcome",
  "cache",
  "errorCode",
  "correlationId",
] as const;

/** Row `at` of the insert's parameters, decoded back to its strings. */
function row(parameters: unknown[], at: number): Array<string | null> {
  const [words, , ...columns] = parameters as [string[], string, ...string[]];
  const strings = [
    columns[0],
    columns[1],
    columns[2],
    columns[3],
    columns[4],
    columns[6],
    columns[7],
    columns[8],
  ];
  return strings.map((column) => {
    const index = Number((column as string).slice(1, -1).split(",")[at]);
    return index === 0 ? null : (words[index - 1] as string);
  });
}

/** Queues each event as the sink does: successful reads field by field, the others whole. */
function queue(batch: AuditBatch, events: AuditEvent[]): void {
  for (const event of events) {
    if (event.action !== "read" || event.outcome !== "success") batch.push(event);
    else {
      const { time, tenant, name, accessor, version, cache, correlationId } = event;
      const fields = batch.readId(tenant, name as string, accessor, cache as "hit");
      batch.pushRead(time, version as number, fields, correlationId ?? null);
    }
  }
}

it("interleaved reads and other events keep their own fields, at flush and when rebuilt", () => {
  const failure: AuditEvent = {
    time: 1_700_000_000_005,
    tenant: "tenant-1",
    name: "openai",
    accessor: "agent",
    action: "read",
    outcome: "failure",
    errorCode: "not_found",
  };
  const events = [
    read("agent", "hit"),
    read("agent", "hit", "req-1"),
    read("agent", "hit"),
    read("other", "hit"),
    read("other", "miss"),
    read("other", "miss", undefined, "stripe"),
    failure,
    read("agent", "hit"),
    read("agent", "hit", undefined, "openai", "tenant-2"),
  ];
  const batch = new AuditBatch(16);
  queue(batch, events);
  const parameters = batch.parameters();
  events.forEach((event, at) => {
    expect(batch.event(at)).toEqual(event);
    expect(row(parameters, at)).toEqual(STRING_FIELDS.map((field) => event[field] ?? null));
  });
  expect(batch.rollup()).toEqual({
    tenantIds: ["tenant-1", "tenant-1", "tenant-2"],
    connectionIds: ["openai", "stripe", "openai"],
    counts: [6, 1, 1],
    lastTimes: [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000],
  });
});

it("a reused batch whose interned fields were cleared still keeps each read's fields", () => {
  const batch = new AuditBatch(2);
  const failure: AuditEvent = { ...read("agent", "hit"), outcome: "failure", errorCode: "not_found" };
  queue(batch, [read("agent", "hit"), failure]);
  batch.reset();
  queue(batch, [read("other", "hit"), read("other", "miss")]);
  batch.reset(); // four distinct fields outnumber the two slots: the interned fields are cleared
  const events = [read("other", "miss"), read("agent", "hit")];
  queue(batch, events);
  expect([batch.event(0), batch.event(1)]).toEqual(events);
});

it("consecutive reads that differ only in their correlation id each keep their own", () => {
  const batch = new AuditBatch(8);
  const events = [read("agent", "hit", "req-1"), read("agent", "hit", "req-2"), read("agent", "hit")];
  queue(batch, events);
  const parameters = batch.parameters();
  events.forEach((event, at) => {
    expect(batch.event(at)).toEqual(event);
    expect(row(parameters, at)).toEqual(STRING_FIELDS.map((field) => event[field] ?? null));
  });
});
