/**
 * Batch reads: `BatchGetSecretValue` takes at most 20 names a call and pages its answer with
 * `NextToken`. Each name resolves to its record, to undefined (absent) or to a typed error of
 * its own, so one bad secret never fails the others.
 */
import type { BatchGetSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import type { BackendRecord } from "../../core/backend.js";
import { UnavailableError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import type { AwsContext } from "./context.js";
import { NAME } from "./errors.js";
import { decodeRecord } from "./record.js";

/** Most names one `BatchGetSecretValue` call takes. */
export const BATCH_SIZE = 20;

/** A batch read's answer for one name. */
export type BatchResult = BackendRecord | undefined | Error;

/** Splits names into calls of at most `BATCH_SIZE`. */
export function chunksOf(names: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let start = 0; start < names.length; start += BATCH_SIZE) {
    chunks.push(names.slice(start, start + BATCH_SIZE));
  }
  return chunks;
}

/** One BatchGetSecretValue item error, typed: not found is absence, the rest are errors. */
function itemError(context: AwsContext, code: string | undefined, message: string | undefined) {
  if (code === "ResourceNotFoundException") return undefined;
  const item = Object.assign(new Error(message ?? code ?? "BatchGetSecretValue item failed"), {
    name: code ?? "Error",
  });
  return context.fail(item, "read credential (batch)");
}

/** Reads the records of one page of an answer into `results`. */
function collect(
  context: AwsContext,
  output: BatchGetSecretValueCommandOutput,
  results: Map<string, BatchResult>,
): void {
  for (const value of output.SecretValues ?? []) {
    if (value.Name === undefined) continue;
    try {
      results.set(value.Name, decodeRecord(value.SecretString, value.VersionId, NAME));
    } catch (error) {
      results.set(value.Name, error as Error);
    }
  }
  for (const item of output.Errors ?? []) {
    if (item.SecretId === undefined) continue;
    results.set(item.SecretId, itemError(context, item.ErrorCode, item.Message));
  }
}

/** One BatchGetSecretValue request for at most 20 names, following NextToken. SDK errors are thrown untouched. */
export async function batchRead(
  context: AwsContext,
  names: readonly string[],
): Promise<Map<string, BatchResult>> {
  const results = new Map<string, BatchResult>();
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const output: BatchGetSecretValueCommandOutput = await context.call(({ sdk, client }, abortSignal) =>
      client.send(
        new sdk.BatchGetSecretValueCommand({
          SecretIdList: [...names],
          ...(token !== undefined ? { NextToken: token } : {}),
        }),
        { abortSignal },
      ),
    );
    collect(context, output, results);
    nextToken = output.NextToken;
  } while (nextToken !== undefined);
  return results;
}

/**
 * `Backend.getMany`: the latest record of each key, in order. Calls run in parallel; a call
 * that fails answers every name in it with its typed error, and a name no call answered is an
 * `UnavailableError`.
 */
export async function getMany(context: AwsContext, keys: readonly BackendKey[]): Promise<BatchResult[]> {
  const names = keys.map(context.nameOf);
  const found = new Map<string, BatchResult>();
  await Promise.all(
    chunksOf([...new Set(names)]).map(async (chunk) => {
      try {
        for (const [name, result] of await batchRead(context, chunk)) found.set(name, result);
      } catch (error) {
        const failure = context.fail(error, "batch read");
        for (const name of chunk) found.set(name, failure);
      }
    }),
  );
  return names.map((name, index) => {
    if (!found.has(name)) {
      return new UnavailableError(
        `BatchGetSecretValue gave no answer for credential "${(keys[index] as BackendKey).connectionId}".`,
        { source: NAME },
      );
    }
    return found.get(name);
  });
}
