/**
 * Writes: claim the next version (see `claim.ts`), then add it. A writer whose add is refused
 * releases its claim; one whose add timed out keeps it until it expires, as the add may still
 * land. A compare-and-set writer that meets another's claim or loses the etag race fails with
 * `ConflictError`; an unconditional writer waits its turn, so concurrent writes each get their
 * own version and none is lost. A writer killed between claim and add blocks others until its
 * claim expires (`claimTtlMs`).
 */
import { randomUUID } from "node:crypto";
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { ConflictError, IntegrityError, ValidationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { contentionBackoff } from "../../core/retry.js";
import { crc32c } from "../../kit/crc32c.js";
import { type ClaimRequest, claimNext, readWriteState, releaseClaim } from "./claim.js";
import { statusOf } from "./connection.js";
import type { GcpContext } from "./context.js";
import { type GrpcStatusName, NAME } from "./errors.js";
import { versionNumberOf } from "./names.js";
import { encodePayload, MAX_PAYLOAD_BYTES } from "./record.js";

/** Statuses (or none: a timeout) after which a call may still have taken effect on the server. */
const UNKNOWN_OUTCOME = new Set<GrpcStatusName | undefined>([
  undefined,
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "CANCELLED",
  "UNKNOWN",
  "INTERNAL",
]);

/** The payload bytes of a write; a bad `ifVersion` or a payload over the service's limit is a `ValidationError`. */
function checkedPayload(key: BackendKey, write: BackendWrite, ifVersion: number | undefined): Buffer {
  if (ifVersion !== undefined && (!Number.isInteger(ifVersion) || ifVersion < 0)) {
    throw new ValidationError("ifVersion must be a whole number, 0 or more.", "ifVersion", { source: NAME });
  }
  const data = encodePayload(write);
  if (data.length > MAX_PAYLOAD_BYTES) {
    throw new ValidationError(
      `Credential "${key.connectionId}" is ${data.length} bytes stored; Secret Manager holds at most ${MAX_PAYLOAD_BYTES}.`,
      "value",
      { source: NAME },
    );
  }
  return data;
}

/** `Backend.put`: claims the next version, then adds it; waits for other writers' claims. */
export async function putRecord(
  context: GcpContext,
  key: BackendKey,
  write: BackendWrite,
  options: BackendPutOptions,
): Promise<{ version: number }> {
  const { ifVersion } = options;
  const data = checkedPayload(key, write, ifVersion);
  await context.names();
  const request: ClaimRequest = {
    key,
    write,
    token: randomUUID(),
    ifVersion,
    what: `write credential "${key.connectionId}"`,
  };
  const { claimTtlMs, retry } = context.config;
  const giveUpAt = Date.now() + claimTtlMs + retry.timeoutMs;
  for (let round = 0; ; round++) {
    const claimed = await claimNext(context, request, await readWriteState(context, key));
    if (claimed !== undefined) return addVersion(context, request, data);
    if (Date.now() > giveUpAt) {
      throw new ConflictError(
        `Gave up waiting for other writers of credential "${key.connectionId}" (a write claim held longer than ${claimTtlMs} ms).`,
        ifVersion,
        { source: NAME },
      );
    }
    await contentionBackoff(round, 10, 250);
  }
}

/** AddSecretVersion under our claim, sent once (it is not idempotent). */
async function addVersion(
  context: GcpContext,
  request: ClaimRequest,
  data: Buffer,
): Promise<{ version: number }> {
  const names = await context.names();
  try {
    const [version] = await context.rpc(
      request.what,
      (client, o) =>
        client.addSecretVersion(
          { parent: names.secret(request.key), payload: { data, dataCrc32c: crc32c(data) } },
          o,
        ),
      false,
    );
    const number = versionNumberOf(version.name);
    if (number === undefined) {
      throw new IntegrityError(`Secret Manager returned no version number for ${request.what}.`, {
        source: NAME,
      });
    }
    return { version: number };
  } catch (error) {
    // why: after a timeout or a lost connection the add may still land; releasing the claim
    // then would let another writer take this number and be overwritten unseen.
    if (!UNKNOWN_OUTCOME.has(statusOf(error))) await releaseClaim(context, request.key, request.token);
    throw error;
  }
}
