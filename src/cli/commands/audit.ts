/**
 * `credkit audit tail|query` over the audit trail the environment configures: the PostgreSQL
 * audit sink (`CREDKIT_AUDIT_DATABASE_URL`) when there is one and no `--file` is given, else the
 * JSON-lines file (`--file` or `CREDKIT_AUDIT_FILE`). The command itself writes its own events to
 * both. Events carry ids, actions and outcomes, never values.
 */
import { createReadStream, existsSync, statSync, unwatchFile, watchFile } from "node:fs";
import { createInterface } from "node:readline";
import type { AuditAction, AuditEvent } from "../../core/audit.js";
import { ValidationError } from "../../core/errors.js";
import { type PostgresAuditSink, postgresAuditSink } from "../../ops/audit/postgres-sink.js";
import { auditDatabase } from "../audit-trail.js";
import { type GlobalOptions, Output } from "../output.js";

/** One event as the file holds it (`time` an ISO string). */
interface FileEvent {
  readonly time: string;
  readonly tenant: string;
  readonly name?: string;
  readonly accessor: string;
  readonly action: string;
  readonly outcome: string;
  readonly version?: number;
  readonly errorCode?: string;
}

/** Options of `audit tail` and `audit query`. */
export interface AuditCommandOptions extends GlobalOptions {
  file?: string;
  lines?: string;
  follow?: boolean;
  tenant?: string;
  connection?: string;
  action?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: string;
}

function auditFile(options: AuditCommandOptions): string {
  const file = options.file ?? process.env.CREDKIT_AUDIT_FILE;
  if (!file) throw new ValidationError("Name the audit file with --file or CREDKIT_AUDIT_FILE.", "file");
  if (!existsSync(file)) throw new ValidationError(`The audit file ${file} does not exist.`, "file");
  return file;
}

function count(text: string | undefined, fallback: number, option: string): number {
  const value = Number(text ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ValidationError(`--${option} must be a whole number from 1.`, option);
  return value;
}

function time(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new ValidationError(`--${option} must be an ISO 8601 time.`, option);
  return parsed;
}

async function* events(file: string, start = 0): AsyncGenerator<FileEvent> {
  const lines = createInterface({
    input: createReadStream(file, { start, encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as FileEvent;
    } catch {
      // why: a line cut by a crash mid-write is skipped, not fatal
    }
  }
}

function line(event: FileEvent): string {
  const what = event.name !== undefined ? `${event.tenant}/${event.name}` : event.tenant;
  const version = event.version !== undefined ? ` v${event.version}` : "";
  const error = event.errorCode !== undefined ? ` (${event.errorCode})` : "";
  return `${event.time}  ${event.action.padEnd(8)} ${event.outcome.padEnd(7)} ${what}${version} by ${event.accessor}${error}`;
}

/** The filters of `audit query`, checked. */
interface Filter {
  readonly tenantId?: string | undefined;
  readonly connectionId?: string | undefined;
  readonly action?: string | undefined;
  readonly outcome?: string | undefined;
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number | undefined;
  /** Milliseconds since the epoch, inclusive. */
  readonly until?: number | undefined;
}

function matches(event: FileEvent, filter: Filter): boolean {
  const at = Date.parse(event.time);
  return (
    (filter.tenantId === undefined || event.tenant === filter.tenantId) &&
    (filter.connectionId === undefined || event.name === filter.connectionId) &&
    (filter.action === undefined || event.action === filter.action) &&
    (filter.outcome === undefined || event.outcome === filter.outcome) &&
    (filter.since === undefined || at >= filter.since) &&
    (filter.until === undefined || at <= filter.until)
  );
}

/** The newest `limit` events of the file matching `filter`, oldest first. */
async function fromFile(file: string, filter: Filter, limit: number): Promise<FileEvent[]> {
  const found: FileEvent[] = [];
  for await (const event of events(file)) {
    if (!matches(event, filter)) continue;
    found.push(event);
    if (found.length > limit) found.shift();
  }
  return found;
}

/** An event of the database as the file writes it (`time` an ISO string). */
const asFileEvent = (event: AuditEvent): FileEvent =>
  ({ ...event, time: new Date(event.time).toISOString() }) as FileEvent;

/** The newest `limit` events of the database matching `filter`, oldest first. */
async function fromDatabase(trail: PostgresAuditSink, filter: Filter, limit: number): Promise<FileEvent[]> {
  const found: FileEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await trail.query({
      ...(filter.tenantId !== undefined ? { tenantId: filter.tenantId } : {}),
      ...(filter.connectionId !== undefined ? { name: filter.connectionId } : {}),
      ...(filter.action !== undefined ? { action: filter.action as AuditAction } : {}),
      ...(filter.outcome !== undefined ? { outcome: filter.outcome as AuditEvent["outcome"] } : {}),
      ...(filter.since !== undefined ? { from: new Date(filter.since) } : {}),
      ...(filter.until !== undefined ? { to: new Date(filter.until + 1) } : {}),
      limit: Math.min(1000, limit - found.length),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    found.push(...page.events.map(asFileEvent));
    cursor = page.cursor;
  } while (cursor !== undefined && found.length < limit);
  return found.reverse();
}

/** Runs `use` on the configured trail: the database (unless `--file`), else the file. */
async function withTrail<T>(
  options: AuditCommandOptions,
  use: (read: (filter: Filter, limit: number) => Promise<FileEvent[]>, file?: string) => Promise<T>,
): Promise<T> {
  const database = options.file === undefined ? auditDatabase() : undefined;
  if (!database) {
    const file = auditFile(options);
    return use((filter, limit) => fromFile(file, filter, limit), file);
  }
  const trail = postgresAuditSink({ ...database, env: process.env });
  try {
    return await use((filter, limit) => fromDatabase(trail, filter, limit));
  } finally {
    await trail.close();
  }
}

/** `audit query`: the newest `--limit` events matching every filter given, oldest first. */
export async function auditQuery(options: AuditCommandOptions): Promise<void> {
  const output = new Output(options);
  const filter: Filter = {
    tenantId: options.tenant,
    connectionId: options.connection,
    action: options.action,
    outcome: options.outcome,
    since: time(options.since, "since"),
    until: time(options.until, "until"),
  };
  const limit = count(options.limit, 1000, "limit");
  const found = await withTrail(options, (read) => read(filter, limit));
  output.result(found, () => found.map(line));
}

/** Until SIGINT or SIGTERM, prints each event `read` finds after the last one printed. */
async function pollNewer(
  read: (filter: Filter, limit: number) => Promise<FileEvent[]>,
  last: FileEvent | undefined,
  print: (event: FileEvent) => void,
): Promise<void> {
  let since = last ? Date.parse(last.time) : Date.now();
  let seen = new Set(last ? [JSON.stringify(last)] : []);
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  while (!stopped) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const event of await read({ since }, 100_000)) {
      const key = JSON.stringify(event);
      const at = Date.parse(event.time);
      if (at === since && seen.has(key)) continue;
      if (at > since) [since, seen] = [at, new Set()];
      seen.add(key);
      print(event);
    }
  }
}

/** Until SIGINT or SIGTERM, prints each event appended to `file`. */
async function watchAppended(file: string, print: (event: FileEvent) => void): Promise<void> {
  let offset = statSync(file).size;
  await new Promise<void>((resolve) => {
    const stop = () => {
      unwatchFile(file);
      resolve();
    };
    process.once("SIGINT", stop).once("SIGTERM", stop);
    watchFile(file, { interval: 250 }, async (current) => {
      if (current.size <= offset) return;
      const from = offset;
      offset = current.size;
      for await (const event of events(file, from)) print(event);
    });
  });
}

/** `audit tail`: the last `--lines` events; with `--follow`, then each new one as it is written. */
export async function auditTail(options: AuditCommandOptions): Promise<void> {
  const output = new Output(options);
  const wanted = count(options.lines, 20, "lines");
  await withTrail(options, async (read, file) => {
    const last = await read({}, wanted);
    if (!options.follow) {
      output.result(last, () => last.map(line));
      return;
    }
    const print = (event: FileEvent) =>
      process.stdout.write(output.json ? `${JSON.stringify(event)}\n` : `${line(event)}\n`);
    last.forEach(print);
    await (file !== undefined ? watchAppended(file, print) : pollNewer(read, last.at(-1), print));
  });
}
