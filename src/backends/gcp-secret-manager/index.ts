/**
 * `gcp`: Google Cloud Secret Manager through `@google-cloud/secret-manager` (5.x, 6.x, 7.x).
 *
 * A credential is one secret (see `names.ts`); each write adds a secret version, whose number is
 * the record's version (Secret Manager numbers versions 1, 2, 3… per secret). Payloads carry a
 * CRC32C on every write and are checked against it on every read, so a corrupted payload is an
 * `IntegrityError`, never data. Soft delete disables the latest version, restore enables it,
 * purge destroys every version and deletes the secret.
 *
 * **Writes and compare-and-set.** AddSecretVersion has no precondition, so writers take a claim
 * first: they read the secret (its etag and a `credkit-claim` annotation) and its latest
 * version, check `ifVersion` against that, then write the claim "version N+1 is mine until T"
 * with UpdateSecret guarded by the etag. Only one writer can move an etag, so exactly one claims
 * N+1; it then adds the version. A claim counts while it is unexpired and ahead of the latest
 * version, so it needs no release: adding the version ends it. A writer whose add is refused
 * releases its claim; one whose add timed out keeps it until it expires, as the add may still land. A compare-and-set writer that
 * meets another's claim or loses the etag race fails with `ConflictError`; an unconditional
 * writer waits its turn, so concurrent writes each get their own version and none is lost. A
 * writer killed between claim and add blocks others until its claim expires (`claimTtlMs`).
 */
import { randomUUID } from "node:crypto";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  BackendWrite,
} from "../../core/backend.js";
import { deletedRecord, missingRecord, versionConflict } from "../../core/backend-support.js";
import {
  ConfigurationError,
  ConflictError,
  CredkitError,
  DeletedError,
  IntegrityError,
  ValidationError,
} from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { contentionBackoff, type RetryOptions, resolveRetryOptions, withRetry } from "../../core/retry.js";
import { crc32c } from "../../kit/crc32c.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { type GoogleCredentialsJson, resolveCredentials } from "./auth.js";
import {
  type AccessLike,
  type CallOptionsLike,
  type LooseClient,
  type SecretLike,
  type SecretManagerClient,
  type SecretManagerModule,
  type VersionLike,
  versionState,
} from "./client.js";
import { type GrpcStatusName, gcpError, grpcStatusOf } from "./errors.js";
import {
  checkPrefix,
  listFilter,
  secretNames,
  TENANT_LABEL,
  TYPE_LABEL,
  tenantLabel,
  versionNumberOf,
} from "./names.js";
import {
  annotatedMetadata,
  CLAIM_ANNOTATION,
  type Claim,
  claimAnnotations,
  decodeClaim,
  decodePayload,
  encodePayload,
  MAX_PAYLOAD_BYTES,
} from "./record.js";

export { crc32c } from "../../kit/crc32c.js";
export type { GoogleCredentialsJson } from "./auth.js";
export type { SecretManagerClient, SecretManagerModule } from "./client.js";

/** How new secrets are replicated. */
export type GcpReplication =
  /** Google chooses the locations. */
  | "automatic"
  /** User-managed replication to these locations, e.g. `["europe-west1", "europe-west4"]`. */
  | { readonly locations: readonly string[] };

/** Options of `gcpSecretManagerBackend`. */
export interface GcpSecretManagerBackendOptions {
  /**
   * An existing `SecretManagerServiceClient` to use instead of creating one. credkit does not
   * close a client it was given. The connection options below are then ignored.
   */
  client?: SecretManagerClient | undefined;
  /**
   * The project holding the secrets.
   * @default env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? the credentials' project_id ?? the client's detected project
   */
  projectId?: string | undefined;
  /**
   * Prefix of every secret id (`[A-Za-z0-9_-]`), so credkit's secrets sit apart from others.
   * @default "credkit-"
   */
  prefix?: string | undefined;
  /**
   * Replication of secrets credkit creates.
   * @default "automatic"
   */
  replication?: GcpReplication | undefined;
  /**
   * Credentials JSON (a service account key, or another Google credential JSON), as text or
   * parsed. It is checked before use and never logged. Omitted with `keyFilename`: Application
   * Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud, the metadata server).
   */
  credentials?: string | GoogleCredentialsJson | undefined;
  /** Path of a JSON key file, checked before use. */
  keyFilename?: string | undefined;
  /**
   * Host of the API, e.g. a regional endpoint `secretmanager.europe-west1.rep.googleapis.com`.
   * @default "secretmanager.googleapis.com"
   */
  apiEndpoint?: string | undefined;
  /**
   * Port of the API.
   * @default 443
   */
  port?: number | undefined;
  /**
   * Universe domain. Setting it also stops the SDK from discovering credentials just to learn it.
   * @default "googleapis.com"
   */
  universeDomain?: string | undefined;
  /**
   * Use HTTP/1.1 REST instead of gRPC (for environments without HTTP/2).
   * @default false
   */
  fallback?: boolean | undefined;
  /** Further options for the `SecretManagerServiceClient` constructor (e.g. `sslCreds`). */
  clientOptions?: Record<string, unknown> | undefined;
  /**
   * Retries and per-call time limit. The SDK's own retry policy (up to 600 s for reads) is
   * switched off for every call; these bounds apply instead.
   * @default { attempts: 3, baseDelayMs: 100, maxDelayMs: 2000, timeoutMs: 10000 }
   */
  retry?: RetryOptions | undefined;
  /**
   * How long a write claim holds before other writers may take over (a writer killed between
   * claim and add, or whose add timed out, blocks the credential this long).
   * @default 3 × retry.timeoutMs
   */
  claimTtlMs?: number | undefined;
  /** The `@google-cloud/secret-manager` module, or a loader for it, instead of importing it. */
  lib?: LibOption<SecretManagerModule> | undefined;
  /**
   * Environment consulted for the project.
   * @default process.env
   */
  env?: Environment | undefined;
}

const NAME = "gcp";
const PACKAGE = "@google-cloud/secret-manager";
const DEFAULT_PREFIX = "credkit-";
const LIST_CONCURRENCY = 16;

interface Ready {
  client: LooseClient;
  names: ReturnType<typeof secretNames>;
  secrets: string[];
}

/** What a writer reads before claiming. */
interface WriteState {
  /** The secret, or undefined when it does not exist. */
  secret: SecretLike | undefined;
  /** Number of the latest version; 0 when there is none. */
  latest: number;
  /** Whether the latest version is enabled (the record is live). */
  live: boolean;
}

/** The gRPC status behind each error `rpc` throws, for callers that branch on it. */
const statuses = new WeakMap<object, GrpcStatusName>();

function statusOf(error: unknown): GrpcStatusName | undefined {
  return typeof error === "object" && error !== null ? statuses.get(error) : undefined;
}

/** Statuses (or none: a timeout) after which a call may still have taken effect on the server. */
const UNKNOWN_OUTCOME = new Set<GrpcStatusName | undefined>([
  undefined,
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "CANCELLED",
  "UNKNOWN",
  "INTERNAL",
]);

function outcomeUnknown(error: unknown): boolean {
  return UNKNOWN_OUTCOME.has(statusOf(error));
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function replicationOf(replication: GcpReplication): Record<string, unknown> {
  if (replication === "automatic") return { automatic: {} };
  if (replication.locations.length === 0) {
    throw new ConfigurationError(
      '"replication.locations" must name at least one location.',
      {
        missing: ["replication"],
      },
      { source: NAME },
    );
  }
  return { userManaged: { replicas: replication.locations.map((location) => ({ location })) } };
}

/** The payload bytes of an access response, checked against its CRC32C. */
function verifiedPayload(response: AccessLike, what: string): Uint8Array {
  const payload = response.payload;
  const raw = payload?.data;
  const data = typeof raw === "string" ? Buffer.from(raw, "base64") : raw;
  if (!data) throw new IntegrityError(`Secret Manager returned no payload for ${what}.`, { source: NAME });
  const expected = payload?.dataCrc32c;
  if (expected === undefined || expected === null || String(expected) === "") {
    throw new IntegrityError(`Secret Manager returned no CRC32C checksum for ${what}.`, { source: NAME });
  }
  if (String(expected) !== String(crc32c(data))) {
    throw new IntegrityError(
      `The payload of ${what} does not match its CRC32C checksum: it was corrupted in storage or transit.`,
      { source: NAME },
    );
  }
  return data;
}

/** Creates a Google Cloud Secret Manager backend. The SDK is imported and the client created on first use. */
export function gcpSecretManagerBackend(options: GcpSecretManagerBackendOptions = {}): Backend {
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const maxKeyLength = checkPrefix(prefix, NAME);
  const replication = replicationOf(options.replication ?? "automatic");
  const retry = resolveRetryOptions(options.retry);
  const claimTtlMs = options.claimTtlMs ?? 3 * retry.timeoutMs;
  const callOptions: CallOptionsLike = { timeout: retry.timeoutMs, retry: { retryCodes: [] } };
  const ownsClient = options.client === undefined;
  let secretsToScrub: string[] = [];
  let ready: Promise<Ready> | undefined;
  let created: LooseClient | undefined;

  const classify = (action: string) => (error: unknown) => {
    if (CredkitError.isInstance(error)) return error;
    const typed = gcpError(error, action, secretsToScrub);
    const status = grpcStatusOf(error);
    if (status) statuses.set(typed, status);
    return typed;
  };

  const init = async (): Promise<Ready> => {
    let client: LooseClient;
    let fromCredentials: string | undefined;
    if (options.client) {
      client = options.client as unknown as LooseClient;
    } else {
      const resolved = await resolveCredentials(options, NAME);
      secretsToScrub = resolved.secrets;
      fromCredentials = resolved.credentials?.project_id;
      const sdk = await importOptional(
        PACKAGE,
        "the gcp backend",
        () => import("@google-cloud/secret-manager"),
        options.lib,
      );
      const Client = (sdk.SecretManagerServiceClient ??
        (sdk as unknown as { default?: SecretManagerModule }).default
          ?.SecretManagerServiceClient) as unknown as new (
        options: Record<string, unknown>,
      ) => LooseClient;
      const projectId =
        options.projectId ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? fromCredentials;
      try {
        client = new Client({
          universeDomain: options.universeDomain ?? "googleapis.com",
          ...(resolved.credentials ? { credentials: resolved.credentials } : {}),
          ...(projectId ? { projectId } : {}),
          ...(options.apiEndpoint !== undefined ? { apiEndpoint: options.apiEndpoint } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.fallback !== undefined ? { fallback: options.fallback } : {}),
          ...options.clientOptions,
        });
      } catch (error) {
        throw new ConfigurationError(
          "The Secret Manager client could not be created from the options given.",
          {},
          {
            source: NAME,
            cause: classify("create the client")(error),
          },
        );
      }
      created = client;
    }
    let project = options.projectId ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? fromCredentials;
    if (!project) {
      try {
        project = await withRetry(() => client.getProjectId(), classify("detect the project"), {
          ...retry,
          attempts: 1,
        });
      } catch (error) {
        throw new ConfigurationError(
          "No GCP project: set GOOGLE_CLOUD_PROJECT or the projectId option.",
          { missing: ["GOOGLE_CLOUD_PROJECT"] },
          { source: NAME, cause: error },
        );
      }
    }
    return { client, names: secretNames(project, prefix), secrets: secretsToScrub };
  };

  const connect = (): Promise<Ready> => {
    ready ??= init().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  /** One SDK call under credkit's retry and time limit. `retries: false` for non-idempotent calls. */
  const rpc = <T>(
    action: string,
    call: (client: LooseClient, options: CallOptionsLike) => Promise<T>,
    retries = true,
  ): Promise<T> =>
    connect().then(({ client }) =>
      withRetry(() => call(client, callOptions), classify(action), {
        ...retry,
        ...(retries ? {} : { attempts: 1 }),
      }),
    );

  /** Runs `call`; a NOT_FOUND resolves to undefined, anything else throws. */
  const unlessMissing = async <T>(call: Promise<T>): Promise<T | undefined> => {
    try {
      return await call;
    } catch (error) {
      if (statusOf(error) === "NOT_FOUND") return undefined;
      throw error;
    }
  };

  const getVersion = async (
    key: BackendKey,
    version: number | "latest",
  ): Promise<VersionLike | undefined> => {
    const { names } = await connect();
    const result = await unlessMissing(
      rpc(`read the state of credential "${key.name}"`, (client, o) =>
        client.getSecretVersion({ name: names.version(key, version) }, o),
      ),
    );
    return result?.[0];
  };

  const readWriteState = async (key: BackendKey): Promise<WriteState> => {
    const { names } = await connect();
    const [secret, latest] = await Promise.all([
      unlessMissing(
        rpc(`read credential "${key.name}"`, (client, o) => client.getSecret({ name: names.secret(key) }, o)),
      ),
      getVersion(key, "latest"),
    ]);
    if (!secret) return { secret: undefined, latest: 0, live: false };
    const number = latest ? (versionNumberOf(latest.name) ?? 0) : 0;
    return {
      secret: secret[0],
      latest: number,
      live: latest !== undefined && versionState(latest) === "enabled",
    };
  };

  /** Drops our claim after a failed add, so others need not wait for it to expire. Best effort. */
  const releaseClaim = async (key: BackendKey, token: string): Promise<void> => {
    try {
      const state = await readWriteState(key);
      const claim = decodeClaim(state.secret?.annotations?.[CLAIM_ANNOTATION]);
      if (!state.secret || claim?.token !== token || claim.version <= state.latest) return;
      const annotations = { ...state.secret.annotations };
      delete annotations[CLAIM_ANNOTATION];
      const { names } = await connect();
      await rpc("release a write claim", (client, o) =>
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
  };

  /** Throws the right `DeletedError` for a version access refused with FAILED_PRECONDITION. */
  const readDeleted = async (key: BackendKey, name: string, pinned: boolean): Promise<void> => {
    const [version] =
      (await unlessMissing(
        rpc(`read the state of credential "${key.name}"`, (client, o) =>
          client.getSecretVersion({ name }, o),
        ),
      )) ?? [];
    const state = version ? versionState(version) : undefined;
    const which = `Version ${versionNumberOf(version?.name) ?? "latest"} of credential "${key.name}"`;
    if (state === "destroyed")
      throw new DeletedError(`${which} is destroyed.`, "destroyed", { source: NAME });
    if (state === "disabled") {
      if (!pinned) throw deletedRecord(NAME, key);
      throw new DeletedError(`${which} is disabled.`, "disabled", { source: NAME });
    }
  };

  /** Soft delete (disable the latest version) or restore (enable it), guarded by the version's etag. */
  const switchLatest = async (key: BackendKey, to: "disabled" | "enabled"): Promise<void> => {
    const action = to === "disabled" ? "delete" : "restore";
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await getVersion(key, "latest");
      if (!latest?.name) throw missingRecord(NAME, key);
      const state = versionState(latest);
      if (to === "disabled" && state !== "enabled") throw missingRecord(NAME, key);
      if (to === "enabled" && state === "enabled") return;
      if (state === "destroyed") {
        throw new DeletedError(`Credential "${key.name}" is destroyed and cannot be restored.`, "destroyed", {
          source: NAME,
        });
      }
      const request = { name: latest.name, ...(latest.etag ? { etag: latest.etag } : {}) };
      try {
        await rpc(`${action} credential "${key.name}"`, (client, o) =>
          to === "disabled"
            ? client.disableSecretVersion(request, o)
            : client.enableSecretVersion(request, o),
        );
        return;
      } catch (error) {
        // why: the version changed between read and write (its etag moved); look again.
        if (statusOf(error) !== "FAILED_PRECONDITION" && statusOf(error) !== "ABORTED") throw error;
      }
    }
    throw new ConflictError(`Credential "${key.name}" kept changing during ${action}.`, undefined, {
      source: NAME,
    });
  };

  const backend: Backend = {
    name: NAME,
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      batchGet: false,
      consistency: "strong",
      maxKeyLength,
    },

    async get(key, getOptions = {}): Promise<BackendRecord | undefined> {
      const pinned = getOptions.version;
      if (pinned !== undefined && (!Number.isInteger(pinned) || pinned < 1)) return undefined;
      const { names } = await connect();
      const name = names.version(key, pinned ?? "latest");
      const what = `credential "${key.name}"`;
      // why: a soft delete disables only the latest version; a pinned read of an older one must still see it.
      const latestCheck = pinned !== undefined ? getVersion(key, "latest") : undefined;
      latestCheck?.catch(() => undefined);
      let response: AccessLike;
      for (let attempt = 0; ; attempt++) {
        try {
          [response] = await rpc(`read ${what}`, (client, o) => client.accessSecretVersion({ name }, o));
          break;
        } catch (error) {
          const status = statusOf(error);
          if (status === "NOT_FOUND") return undefined;
          // why: FAILED_PRECONDITION on access means a disabled or destroyed version; ask which.
          if (status !== "FAILED_PRECONDITION" || attempt > 0) throw error;
          await readDeleted(key, name, pinned !== undefined);
        }
      }
      if (latestCheck) {
        const latest = await latestCheck;
        if (!latest) return undefined;
        if (versionState(latest) !== "enabled") throw deletedRecord(NAME, key);
      }
      const data = verifiedPayload(response, what);
      const version = versionNumberOf(response.name);
      if (version === undefined || (pinned !== undefined && version !== pinned)) {
        throw new IntegrityError(`Secret Manager returned another version than asked for ${what}.`, {
          source: NAME,
        });
      }
      const record = decodePayload(data, NAME);
      return { ...record, version };
    },

    async put(key, write: BackendWrite, putOptions = {}) {
      const { ifVersion } = putOptions;
      if (ifVersion !== undefined && (!Number.isInteger(ifVersion) || ifVersion < 0)) {
        throw new ValidationError("ifVersion must be a whole number, 0 or more.", "ifVersion", {
          source: NAME,
        });
      }
      const data = encodePayload(write);
      if (data.length > MAX_PAYLOAD_BYTES) {
        throw new ValidationError(
          `Credential "${key.name}" is ${data.length} bytes stored; Secret Manager holds at most ${MAX_PAYLOAD_BYTES}.`,
          "value",
          { source: NAME },
        );
      }
      const checksum = crc32c(data);
      const { names } = await connect();
      const token = randomUUID();
      const labels = (existing: Record<string, string> | null | undefined) => ({
        ...existing,
        [TENANT_LABEL]: tenantLabel(key.tenantSegment),
        [TYPE_LABEL]: write.metadata.type.replace(/[^a-z0-9_-]/g, "_").slice(0, 63),
      });
      const giveUpAt = Date.now() + claimTtlMs + retry.timeoutMs;
      const what = `write credential "${key.name}"`;

      for (let round = 0; ; round++) {
        const state = await readWriteState(key);
        const current = state.live ? state.latest : 0;
        let claimed: number | undefined;
        if (!state.secret) {
          if (ifVersion !== undefined && ifVersion !== 0) throw versionConflict(NAME, key, ifVersion, 0);
          const claim: Claim = { version: 1, token, expiresAt: Date.now() + claimTtlMs };
          try {
            await rpc(what, (client, o) =>
              client.createSecret(
                {
                  parent: names.parent,
                  secretId: names.secretId(key),
                  secret: {
                    replication,
                    labels: labels({}),
                    annotations: claimAnnotations({}, write.metadata, claim),
                  },
                },
                o,
              ),
            );
            claimed = 1;
          } catch (error) {
            // why: another writer created it first (or our own retried create did); read again.
            if (statusOf(error) !== "ALREADY_EXISTS") throw error;
          }
        } else {
          const claim = decodeClaim(state.secret.annotations?.[CLAIM_ANNOTATION]);
          const pending = claim !== undefined && claim.version > state.latest && claim.expiresAt > Date.now();
          if (pending && claim.token === token) {
            claimed = claim.version; // our own claim, whose response was lost and retried
          } else if (ifVersion !== undefined && (pending || ifVersion !== current)) {
            throw versionConflict(NAME, key, ifVersion, pending ? undefined : current);
          } else if (!pending) {
            const next: Claim = { version: state.latest + 1, token, expiresAt: Date.now() + claimTtlMs };
            try {
              await rpc(what, (client, o) =>
                client.updateSecret(
                  {
                    secret: {
                      name: names.secret(key),
                      etag: state.secret?.etag,
                      labels: labels(state.secret?.labels),
                      annotations: claimAnnotations(state.secret?.annotations ?? {}, write.metadata, next),
                    },
                    updateMask: { paths: ["labels", "annotations"] },
                  },
                  o,
                ),
              );
              claimed = next.version;
            } catch (error) {
              const status = statusOf(error);
              // why: the etag moved: another writer claimed first, or the secret was deleted.
              if (status !== "FAILED_PRECONDITION" && status !== "ABORTED" && status !== "NOT_FOUND")
                throw error;
            }
          }
        }
        if (claimed !== undefined) {
          try {
            const [version] = await rpc(
              what,
              (client, o) =>
                client.addSecretVersion(
                  { parent: names.secret(key), payload: { data, dataCrc32c: checksum } },
                  o,
                ),
              false,
            );
            const number = versionNumberOf(version.name);
            if (number === undefined) {
              throw new IntegrityError(`Secret Manager returned no version number for ${what}.`, {
                source: NAME,
              });
            }
            return { version: number };
          } catch (error) {
            // why: after a timeout or a lost connection the add may still land; releasing the claim
            // then would let another writer take this number and be overwritten unseen.
            if (!outcomeUnknown(error)) await releaseClaim(key, token);
            throw error;
          }
        }
        if (Date.now() > giveUpAt) {
          throw new ConflictError(
            `Gave up waiting for other writers of credential "${key.name}" (a write claim held longer than ${claimTtlMs} ms).`,
            ifVersion,
            { source: NAME },
          );
        }
        await contentionBackoff(round, 10, 250);
      }
    },

    async delete(key, deleteOptions = {}) {
      const { names } = await connect();
      if (deleteOptions.purge) {
        const listed = await unlessMissing(
          rpc(`list the versions of credential "${key.name}"`, (client, o) =>
            client.listSecretVersions({ parent: names.secret(key) }, { ...o, autoPaginate: true }),
          ),
        );
        if (!listed) throw missingRecord(NAME, key);
        const live = listed[0].filter((version) => versionState(version) !== "destroyed" && version.name);
        await mapLimit(live, LIST_CONCURRENCY, async (version) => {
          try {
            await rpc(`destroy a version of credential "${key.name}"`, (client, o) =>
              client.destroySecretVersion({ name: version.name as string }, o),
            );
          } catch (error) {
            // why: destroyed concurrently (FAILED_PRECONDITION) or gone with the secret (NOT_FOUND).
            const status = statusOf(error);
            if (status !== "FAILED_PRECONDITION" && status !== "NOT_FOUND") throw error;
          }
        });
        await unlessMissing(
          rpc(`delete credential "${key.name}"`, (client, o) =>
            client.deleteSecret({ name: names.secret(key) }, o),
          ),
        );
        return;
      }
      await switchLatest(key, "disabled");
    },

    async restore(key) {
      await switchLatest(key, "enabled");
    },

    async list(listOptions: BackendListOptions = {}) {
      const { names } = await connect();
      const [secrets, next] = await rpc("list credentials", (client, o) =>
        client.listSecrets(
          {
            parent: names.parent,
            filter: listFilter(listOptions.tenantSegment),
            ...(listOptions.limit !== undefined ? { pageSize: listOptions.limit } : {}),
            ...(listOptions.cursor ? { pageToken: listOptions.cursor } : {}),
          },
          { ...o, autoPaginate: false },
        ),
      );
      const ours = secrets.filter((secret) => {
        const segment = secret.name ? names.tenantSegmentOf(secret.name) : undefined;
        return (
          segment !== undefined &&
          (listOptions.tenantSegment === undefined || segment === listOptions.tenantSegment)
        );
      });
      const entries = await mapLimit(ours, LIST_CONCURRENCY, async (secret) => listEntry(secret));
      const kept = entries.filter(
        (entry): entry is BackendListEntry =>
          entry !== undefined && (listOptions.includeDeleted || !entry.deleted),
      );
      const cursor = next?.pageToken || undefined;
      return cursor ? { entries: kept, cursor } : { entries: kept };
    },

    async close() {
      const client = created;
      created = undefined;
      ready = undefined;
      if (client && ownsClient) await client.close();
    },
  };

  /** A listed secret as an entry: its latest version's number and state, and its metadata. */
  const listEntry = async (secret: SecretLike): Promise<BackendListEntry | undefined> => {
    const name = secret.name as string;
    const what = "list credentials";
    const [latest] =
      (await unlessMissing(
        rpc(what, (client, o) => client.getSecretVersion({ name: `${name}/versions/latest` }, o)),
      )) ?? [];
    const version = latest ? versionNumberOf(latest.name) : undefined;
    // why: a secret without versions is a first write in progress (or one that failed): not a record yet.
    if (!latest || version === undefined) return undefined;
    const deleted = versionState(latest) !== "enabled";
    const annotated = annotatedMetadata(secret.annotations);
    if (annotated && (annotated.version === version || deleted)) {
      return { metadata: annotated.metadata, version, deleted };
    }
    if (deleted) return undefined;
    const [response] =
      (await unlessMissing(
        rpc(what, (client, o) => client.accessSecretVersion({ name: latest.name as string }, o)),
      )) ?? [];
    if (!response) return undefined;
    return {
      metadata: decodePayload(verifiedPayload(response, "a listed credential"), NAME).metadata,
      version,
      deleted,
    };
  };

  return backend;
}

/** Comma-separated locations → user-managed replication; empty → automatic. */
function replicationFromEnv(value: string | undefined): GcpReplication {
  const locations = (value ?? "")
    .split(",")
    .map((location) => location.trim())
    .filter(Boolean);
  return locations.length > 0 ? { locations } : "automatic";
}

function endpointFromEnv(value: string | undefined): { apiEndpoint?: string; port?: number } {
  if (!value) return {};
  const match = /^(.*):(\d+)$/.exec(value.trim());
  return match ? { apiEndpoint: match[1] as string, port: Number(match[2]) } : { apiEndpoint: value.trim() };
}

export const definition: BackendDefinition = {
  type: "gcp-secret-manager",
  summary: "GCP Secret Manager",
  aliases: ["gcp"],
  packages: ["@google-cloud/secret-manager"],
  variables: [
    {
      name: "GOOGLE_CLOUD_PROJECT",
      description: "Project holding the secrets (GCLOUD_PROJECT is accepted too).",
    },
    {
      name: "GOOGLE_APPLICATION_CREDENTIALS",
      description:
        "Path of a credentials JSON file for Application Default Credentials (read by the Google auth library).",
    },
    {
      name: "CREDKIT_GCP_CREDENTIALS_JSON",
      description: "Service account key JSON given inline instead of a file (checked, never logged).",
    },
    { name: "CREDKIT_GCP_SECRET_PREFIX", description: 'Prefix of every secret id; default "credkit-".' },
    {
      name: "CREDKIT_GCP_REPLICATION_LOCATIONS",
      description: "Comma-separated locations for user-managed replication; unset: automatic replication.",
    },
    {
      name: "CREDKIT_GCP_API_ENDPOINT",
      description: "API host[:port], e.g. a regional endpoint; default the global one.",
    },
  ],
  missingVariables: (env) => (env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT ? [] : ["GOOGLE_CLOUD_PROJECT"]),
  fromEnv: async (env) =>
    gcpSecretManagerBackend({
      env,
      ...(env.CREDKIT_GCP_CREDENTIALS_JSON ? { credentials: env.CREDKIT_GCP_CREDENTIALS_JSON } : {}),
      ...(env.CREDKIT_GCP_SECRET_PREFIX !== undefined ? { prefix: env.CREDKIT_GCP_SECRET_PREFIX } : {}),
      replication: replicationFromEnv(env.CREDKIT_GCP_REPLICATION_LOCATIONS),
      ...endpointFromEnv(env.CREDKIT_GCP_API_ENDPOINT),
    }),
};
