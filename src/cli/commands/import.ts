/**
 * `credkit import <file>`: JSON, NDJSON, `.env` or an encrypted bundle, in batches, with a
 * progress bar, per-item results and `--dry-run`. Resumable: a checkpoint file records the items
 * done after each batch; a rerun continues there, and because each record is compared with what
 * is stored before it is written, the items of the batch in flight when the process died are not
 * written twice.
 */
import { readFileSync } from "node:fs";
import { ValidationError } from "../../core/errors.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output } from "../output.js";
import { startProgress } from "../progress.js";
import { applyBatch, failedItem, type ItemResult } from "../transfer/apply.js";
import { isBundle, openBundle } from "../transfer/bundle.js";
import { clearCheckpoint, inputDigest, readCheckpoint, writeCheckpoint } from "../transfer/checkpoint.js";
import { bundlePassphrase } from "../transfer/passphrase.js";
import {
  formatOf,
  type ParsedItem,
  parseRecords,
  TRANSFER_FORMATS,
  type TransferFormat,
  type TransferRecord,
} from "../transfer/records.js";

/** Options of `import`. */
export interface ImportOptions extends GlobalOptions {
  format?: string;
  tenant?: string;
  dryRun?: boolean;
  checkpoint?: string;
  batchSize?: string;
}

function checkFormat(format: string | undefined, path: string): TransferFormat {
  if (format === undefined) return formatOf(path);
  if (!(TRANSFER_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(`--format must be one of ${TRANSFER_FORMATS.join(", ")}.`, "format");
  }
  return format as TransferFormat;
}

async function readItems(
  path: string,
  options: ImportOptions,
): Promise<{ items: ParsedItem[]; digest: string }> {
  const bytes = readFileSync(path);
  let text = bytes.toString("utf8");
  let format = checkFormat(options.format, path);
  if (isBundle(text)) {
    const opened = await openBundle(text, await bundlePassphrase());
    text = opened.text;
    format = checkFormat(opened.content, path);
  }
  return { items: parseRecords(text, format, options.tenant), digest: inputDigest(bytes) };
}

/** Splits the pending items into batches of at most `size`, never two writes to one credential in a batch. */
function* batches(items: readonly ParsedItem[], from: number, size: number) {
  let batch: Array<{ item: number; record: TransferRecord }> = [];
  let invalid: ItemResult[] = [];
  let keys = new Set<string>();
  for (let index = from; index < items.length; index++) {
    const parsed = items[index]!;
    if ("error" in parsed) {
      invalid.push(failedItem(index + 1, undefined, parsed.error));
      continue;
    }
    const key = JSON.stringify([parsed.record.tenantId, parsed.record.connectionId]);
    if (batch.length >= size || keys.has(key)) {
      yield { batch, invalid, end: index };
      [batch, invalid, keys] = [[], [], new Set()];
    }
    batch.push({ item: index + 1, record: parsed.record });
    keys.add(key);
  }
  yield { batch, invalid, end: items.length };
}

function batchSizeOf(text: string | undefined): number {
  const size = Number(text ?? 200);
  if (!Number.isSafeInteger(size) || size < 1 || size > 1000) {
    throw new ValidationError("--batch-size must be a whole number from 1 to 1000.", "batchSize");
  }
  return size;
}

function summary(results: readonly ItemResult[], resumed: number): Record<string, number> {
  const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const result of results) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
  return { ...counts, resumed, total: results.length + resumed };
}

/** Imports the records of `path`. */
export async function importCommand(path: string, options: ImportOptions): Promise<void> {
  const output = new Output(options);
  const size = batchSizeOf(options.batchSize);
  const { items, digest } = await readItems(path, options);
  const checkpointPath = options.checkpoint ?? `${path}.credkit-import.json`;
  const dryRun = options.dryRun === true;
  const from = dryRun ? 0 : readCheckpoint(checkpointPath, digest);
  if (from > 0) output.note(`Resuming after item ${from} (checkpoint ${checkpointPath}).`);
  const results: ItemResult[] = [];
  await withManager(options, async (manager) => {
    const progress = await startProgress(output, `Importing ${items.length} records`, items.length);
    progress.advance(from, `${from} done before`);
    let done = from;
    for (const { batch, invalid, end } of batches(items, from, size)) {
      results.push(...invalid, ...(await applyBatch(manager, batch, dryRun)));
      if (!dryRun) writeCheckpoint(checkpointPath, digest, end);
      progress.advance(end - done, `${end} of ${items.length}`);
      done = end;
    }
    progress.stop(`${items.length} records ${dryRun ? "checked (dry run)" : "imported"}`);
  });
  if (!dryRun) clearCheckpoint(checkpointPath);
  results.sort((a, b) => a.item - b.item);
  const counts = summary(results, from);
  output.result({ dryRun, summary: counts, items: results }, () => [
    ...results
      .filter((result) => result.outcome === "failed")
      .map((result) => `  item ${result.item} failed: ${result.error?.code} — ${result.error?.message}`),
    `${dryRun ? "Dry run: would create" : "Created"} ${counts.created}, ${dryRun ? "update" : "updated"} ${counts.updated}, unchanged ${counts.unchanged}, failed ${counts.failed}${from > 0 ? `, ${from} done by an earlier run` : ""}.`,
  ]);
  if (counts.failed! > 0) process.exitCode = EXIT_FAILURE;
}
