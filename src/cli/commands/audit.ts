/**
 * `credkit audit tail|query` over the JSON-lines audit file (`jsonLinesSink`, the file named by
 * `--file` or `CREDKIT_AUDIT_FILE`, which the command itself also writes its own events to).
 * Events carry ids, actions and outcomes, never values.
 */
import { createReadStream, existsSync, statSync, unwatchFile, watchFile } from "node:fs";
import { createInterface } from "node:readline";
import { ValidationError } from "../../core/errors.js";
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

/** `audit query`: events matching every filter given, oldest first, at most `--limit`. */
export async function auditQuery(options: AuditCommandOptions): Promise<void> {
  const output = new Output(options);
  const file = auditFile(options);
  const since = time(options.since, "since");
  const until = time(options.until, "until");
  const limit = count(options.limit, 1000, "limit");
  const found: FileEvent[] = [];
  for await (const event of events(file)) {
    const at = Date.parse(event.time);
    if (options.tenant !== undefined && event.tenant !== options.tenant) continue;
    if (options.connection !== undefined && event.name !== options.connection) continue;
    if (options.action !== undefined && event.action !== options.action) continue;
    if (options.outcome !== undefined && event.outcome !== options.outcome) continue;
    if ((since !== undefined && at < since) || (until !== undefined && at > until)) continue;
    found.push(event);
    if (found.length >= limit) break;
  }
  output.result(found, () => found.map(line));
}

/** `audit tail`: the last `--lines` events; with `--follow`, then each new one as it is written. */
export async function auditTail(options: AuditCommandOptions): Promise<void> {
  const output = new Output(options);
  const file = auditFile(options);
  const wanted = count(options.lines, 20, "lines");
  const last: FileEvent[] = [];
  for await (const event of events(file)) {
    last.push(event);
    if (last.length > wanted) last.shift();
  }
  const print = (event: FileEvent) =>
    process.stdout.write(output.json ? `${JSON.stringify(event)}\n` : `${line(event)}\n`);
  if (!options.follow) {
    output.result(last, () => last.map(line));
    return;
  }
  last.forEach(print);
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
