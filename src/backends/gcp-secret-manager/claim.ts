/**
 * The write claim. AddSecretVersion has no precondition, so a writer first claims the next
 * version number: it reads the secret (its etag and `credkit-claim` annotation) and its latest
 * version, then writes the claim "version N+1 is mine until T" with UpdateSecret guarded by the
 * etag (or with CreateSecret for a first write). Only one writer can move an etag, so exactly one
 * claims N+1. A claim counts while it is unexpired and ahead of the latest version, so adding the
 * version ends it; a writer whose add was refused releases it early.
 */
import type { BackendWrite } from "../../core/backend.js";
import { versionConflict } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type SecretLike, versionState } from "./client.js";
import { statusOf } from "./connection.js";
import { type GcpContext, unlessMissing } from "./context.js";
import { NAME } from "./errors.js";
import { TENANT_LABEL, TYPE_LABEL, tenantLabel, versionNumberOf } from "./names.js";
import { getVersion } from "./read.js";
import { CLAIM_ANNOTATION, type Claim, claimAnnotations, decodeClaim } from "./record.js";

/** What a writer reads before claiming. */
export interface WriteState {
  /** The secret, or undefined when it does not exist. */
  secret: SecretLike | undefined;
  /** Number of the latest version; 0 when there is none. */
  latest: number;
  /** Whether the latest version is enabled (the record is live). */
  live: boolean;
}

/** One write: what it writes, the claim token that identifies its writer, and the version it must find. */
export interface ClaimRequest {
  readonly key: BackendKey;
  readonly write: BackendWrite;
  readonly token: string;
  readonly ifVersion: number | undefined;
  readonly what: string;
}

/** Reads the secret and its latest version together. */
export async function readWriteState(context: GcpContext, key: BackendKey): Promise<WriteState> {
  const names = await context.names();
  const [secret, latest] = await Promise.all([
    unlessMissing(
      context.rpc(`read credential "${key.connectionId}"`, (client, o) =>
        client.getSecret({ name: names.secret(key) }, o),
      ),
    ),
    getVersion(context, key, "latest"),
  ]);
  if (!secret) return { secret: undefined, latest: 0, live: false };
  return {
    secret: secret[0],
    latest: latest ? (versionNumberOf(latest.name) ?? 0) : 0,
    live: latest !== undefined && versionState(latest) === "enabled",
  };
}

function labels(request: ClaimRequest, existing: Record<string, string> | null | undefined) {
  return {
    ...existing,
    [TENANT_LABEL]: tenantLabel(request.key.tenantSegment),
    [TYPE_LABEL]: request.write.metadata.type.replace(/[^a-z0-9_-]/g, "_").slice(0, 63),
  };
}

/**
 * Claims the next version for `request`: the number claimed, or undefined when another writer
 * holds a claim or won the race (wait and read again). A compare-and-set write that meets
 * another's claim or a different version fails with `ConflictError`.
 */
export async function claimNext(
  context: GcpContext,
  request: ClaimRequest,
  state: WriteState,
): Promise<number | undefined> {
  if (!state.secret) return claimByCreating(context, request);
  const { ifVersion, key, token } = request;
  const claim = decodeClaim(state.secret.annotations?.[CLAIM_ANNOTATION]);
  const pending = claim !== undefined && claim.version > state.latest && claim.expiresAt > Date.now();
  // why: our own claim, whose response was lost and the request retried.
  if (pending && claim.token === token) return claim.version;
  const current = state.live ? state.latest : 0;
  if (ifVersion !== undefined && (pending || ifVersion !== current)) {
    throw versionConflict(NAME, key, ifVersion, pending ? undefined : current);
  }
  if (pending) return undefined;
  return claimByUpdating(context, request, state.secret, state.latest + 1);
}

/** The create path: the secret does not exist, so CreateSecret carries the claim on version 1. */
async function claimByCreating(context: GcpContext, request: ClaimRequest): Promise<number | undefined> {
  const { ifVersion, key, write } = request;
  if (ifVersion !== undefined && ifVersion !== 0) throw versionConflict(NAME, key, ifVersion, 0);
  const claim: Claim = {
    version: 1,
    token: request.token,
    expiresAt: Date.now() + context.config.claimTtlMs,
  };
  const names = await context.names();
  try {
    await context.rpc(request.what, (client, o) =>
      client.createSecret(
        {
          parent: names.parent,
          secretId: names.secretId(key),
          secret: {
            replication: context.config.replication,
            labels: labels(request, {}),
            annotations: claimAnnotations({}, write.metadata, claim),
          },
        },
        o,
      ),
    );
    return 1;
  } catch (error) {
    // why: another writer created it first (or our own retried create did); read again.
    if (statusOf(error) !== "ALREADY_EXISTS") throw error;
    return undefined;
  }
}

/** The update path: UpdateSecret, guarded by the etag just read, writes the claim on `version`. */
async function claimByUpdating(
  context: GcpContext,
  request: ClaimRequest,
  secret: SecretLike,
  version: number,
): Promise<number | undefined> {
  const claim: Claim = { version, token: request.token, expiresAt: Date.now() + context.config.claimTtlMs };
  const names = await context.names();
  try {
    await context.rpc(request.what, (client, o) =>
      client.updateSecret(
        {
          secret: {
            name: names.secret(request.key),
            etag: secret.etag,
            labels: labels(request, secret.labels),
            annotations: claimAnnotations(secret.annotations ?? {}, request.write.metadata, claim),
          },
          updateMask: { paths: ["labels", "annotations"] },
        },
        o,
      ),
    );
    return version;
  } catch (error) {
    const status = statusOf(error);
    // why: the etag moved: another writer claimed first, or the secret was deleted.
    if (status !== "FAILED_PRECONDITION" && status !== "ABORTED" && status !== "NOT_FOUND") throw error;
    return undefined;
  }
}

/** Drops our claim after a failed add, so others need not wait for it to expire. Best effort. */
export async function releaseClaim(context: GcpContext, key: BackendKey, token: string): Promise<void> {
  try {
    const state = await readWriteState(context, key);
    const claim = decodeClaim(state.secret?.annotations?.[CLAIM_ANNOTATION]);
    if (!state.secret || claim?.token !== token || claim.version <= state.latest) return;
    const annotations = { ...state.secret.annotations };
    delete annotations[CLAIM_ANNOTATION];
    const names = await context.names();
    await context.rpc("release a write claim", (client, o) =>
      client.updateSecret(
        {
          secret: { name: names.secret(key), etag: state.secret?.etag, annotations },
          updateMask: { paths: ["annotations"] },
        },
        o,
      ),
    );
  } catch {
    // why: the claim expires by itself after claimTtlMs; the caller already has the real error.
  }
}
