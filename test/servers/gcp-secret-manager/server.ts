/**
 * A loopback Google Secret Manager (v1) gRPC server, built from the .proto files shipped in
 * `@google-cloud/secret-manager` (and google-gax's common protos), for driving the official SDK
 * over real gRPC. It keeps secrets and versions in memory and behaves as the service does
 * (wire-protocols.md §4.5): project numbers in returned names, `latest` = the most recently
 * created version, ENABLED/DISABLED/DESTROYED states, quoted etags that change on every
 * modification (FAILED_PRECONDITION on mismatch), label and annotation limits, CRC32C checked on
 * add and returned on access, and the service's status codes and messages.
 *
 * Fault injection: `fail(method, code, times)` makes the next calls fail with a status,
 * `latencyMs` delays every call, `slow(method, ms)` delays the next call of one method (it is
 * applied late, as a request stuck in flight), `corruptNextAccess(n)` flips a payload bit (keeping the stored
 * checksum) in the next access responses.
 */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { crc32c } from "../../../src/kit/crc32c.js";

const require = createRequire(import.meta.url);

/** Where the SDK's and google-gax's .proto files are. */
export function protoDirectories(): string[] {
  const sdkEntry = require.resolve("@google-cloud/secret-manager");
  const sdkRoot = resolve(dirname(sdkEntry), "../..");
  const gaxEntry = createRequire(sdkEntry).resolve("google-gax");
  const gaxRoot = resolve(dirname(gaxEntry), "../..");
  return [join(sdkRoot, "build/protos"), join(gaxRoot, "build/protos")];
}

type State = "ENABLED" | "DISABLED" | "DESTROYED";

interface StoredVersion {
  number: number;
  state: State;
  data: Buffer | undefined;
  crc32c: number;
  clientChecksum: boolean;
  etag: string;
  createTime: number;
  destroyTime?: number;
}

interface StoredSecret {
  id: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  replication: unknown;
  etag: string;
  createTime: number;
  versions: StoredVersion[];
}

interface Timestamp {
  seconds: string;
  nanos: number;
}

type Callback = (error: Partial<grpc.StatusObject> | null, value?: unknown) => void;
type Handler = (request: Record<string, unknown>, metadata: grpc.Metadata) => unknown;

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const ANNOTATION_KEY = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const MAX_PAYLOAD = 64 * 1024;
const MAX_ANNOTATIONS = 16 * 1024;

export interface GcpServerOptions {
  /** Project id clients use. @default "credkit-test" */
  projectId?: string;
  /** Project number the service puts in names. @default "123456789012" */
  projectNumber?: string;
}

export interface RecordedCall {
  method: string;
  /** The request, with payload bytes replaced by their length. */
  request: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface GcpSecretManagerServer {
  readonly port: number;
  readonly projectId: string;
  readonly projectNumber: string;
  /** Every call received, in order. */
  readonly calls: RecordedCall[];
  /** Added before every response. */
  latencyMs: number;
  /** Makes the next `times` calls of `method` ("*" for any) fail with `code`. */
  fail(method: string, code: grpc.status, times?: number, message?: string): void;
  /** Delays the next `times` calls of `method` by `ms` before the server acts on them. */
  slow(method: string, ms: number, times?: number): void;
  /** Flips a bit of the payload in the next `times` access responses, keeping the stored checksum. */
  corruptNextAccess(times?: number): void;
  /** The stored secret with this id (for assertions). */
  secret(id: string): StoredSecret | undefined;
  /** Stops the server. */
  close(): Promise<void>;
}

function now(): number {
  return Date.now();
}

function timestamp(ms: number | undefined): Timestamp | null {
  return ms === undefined ? null : { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

let etagCounter = 0;
function newEtag(): string {
  etagCounter += 1;
  return `"${Date.now().toString(16)}${etagCounter.toString(16).padStart(6, "0")}"`;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startGcpSecretManagerServer(
  options: GcpServerOptions = {},
): Promise<GcpSecretManagerServer> {
  const projectId = options.projectId ?? "credkit-test";
  const projectNumber = options.projectNumber ?? "123456789012";
  const definition = protoLoader.loadSync("google/cloud/secretmanager/v1/service.proto", {
    includeDirs: protoDirectories(),
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } };
    };
  };
  const service = loaded.google.cloud.secretmanager.v1.SecretManagerService.service;

  const secrets = new Map<string, StoredSecret>();
  const calls: RecordedCall[] = [];
  const faults: Array<{ method: string; code: grpc.status; times: number; message: string }> = [];
  const delays: Array<{ method: string; ms: number; times: number }> = [];
  let corruptions = 0;

  const secretName = (id: string) => `projects/${projectNumber}/secrets/${id}`;

  const parseProject = (parent: unknown): void => {
    const match = typeof parent === "string" ? /^projects\/([^/]+)$/.exec(parent) : null;
    if (!match)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request.`);
    if (match[1] !== projectId && match[1] !== projectNumber) {
      throw new RpcError(grpc.status.PERMISSION_DENIED, `Permission denied on resource project ${match[1]}.`);
    }
  };

  const findSecret = (name: unknown): StoredSecret => {
    const match = typeof name === "string" ? /^(projects\/[^/]+)\/secrets\/([^/]+)$/.exec(name) : null;
    if (!match)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "Invalid resource field value in the request.");
    parseProject(match[1]);
    const secret = secrets.get(match[2] as string);
    if (!secret) {
      throw new RpcError(
        grpc.status.NOT_FOUND,
        `Secret [${secretName(match[2] as string)}] not found or has no versions.`,
      );
    }
    return secret;
  };

  const findVersion = (name: unknown): { secret: StoredSecret; version: StoredVersion } => {
    const match =
      typeof name === "string" ? /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name) : null;
    if (!match)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "Invalid resource field value in the request.");
    const secret = findSecret(match[1]);
    const alias = match[2] as string;
    let version: StoredVersion | undefined;
    if (alias === "latest") {
      version = secret.versions.at(-1);
      if (!version) {
        throw new RpcError(
          grpc.status.NOT_FOUND,
          `Secret [${secretName(secret.id)}] not found or has no versions.`,
        );
      }
    } else if (/^\d+$/.test(alias)) {
      version = secret.versions.find((candidate) => candidate.number === Number(alias));
    } else {
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "Invalid resource field value in the request.");
    }
    if (!version) {
      throw new RpcError(
        grpc.status.NOT_FOUND,
        `Secret Version [${secretName(secret.id)}/versions/${alias}] not found.`,
      );
    }
    return { secret, version };
  };

  const secretMessage = (secret: StoredSecret) => ({
    name: secretName(secret.id),
    replication: secret.replication,
    create_time: timestamp(secret.createTime),
    labels: secret.labels,
    etag: secret.etag,
    annotations: secret.annotations,
    version_aliases: {},
  });

  const versionMessage = (secret: StoredSecret, version: StoredVersion) => ({
    name: `${secretName(secret.id)}/versions/${version.number}`,
    create_time: timestamp(version.createTime),
    destroy_time: timestamp(version.destroyTime),
    state: version.state,
    etag: version.etag,
    client_specified_payload_checksum: version.clientChecksum,
  });

  const checkEtag = (given: unknown, actual: string, what: string) => {
    if (typeof given === "string" && given !== "" && given !== actual) {
      throw new RpcError(
        grpc.status.FAILED_PRECONDITION,
        `The etag provided for ${what} does not match its current etag.`,
      );
    }
  };

  const checkLabels = (labels: Record<string, string>) => {
    const entries = Object.entries(labels);
    if (entries.length > 64)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "A secret can have at most 64 labels.");
    for (const [key, value] of entries) {
      if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Label [${key}] has an invalid key or value.`);
      }
    }
  };

  const checkAnnotations = (annotations: Record<string, string>) => {
    let size = 0;
    for (const [key, value] of Object.entries(annotations)) {
      if (!ANNOTATION_KEY.test(key)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Annotation key [${key}] is invalid.`);
      }
      size += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (size > MAX_ANNOTATIONS) {
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "Annotations exceed the 16 KiB total size limit.");
    }
  };

  /** Filters of the form `a AND b` with terms `labels.K=V`, `labels.K:*`, `labels.K:V`, `name:S`. */
  const matchesFilter = (secret: StoredSecret, filter: string): boolean => {
    if (filter.trim() === "") return true;
    return filter.split(/\s+AND\s+/).every((term) => {
      const match = /^(labels\.([a-z][a-z0-9_-]*)|name)\s*(=|:)\s*("?)([^"]*)\4$/.exec(term.trim());
      if (!match) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid filter: ${term}`);
      const [, field, label, operator, , value] = match as unknown as string[];
      if (field === "name") return secret.id.includes(value as string);
      const actual = secret.labels[label as string];
      if (operator === ":" && value === "*") return actual !== undefined;
      return operator === "=" ? actual === value : (actual ?? "").includes(value as string);
    });
  };

  const page = <T>(items: T[], request: Record<string, unknown>, key: (item: T) => string) => {
    const size = Math.min(Number(request.page_size) || 25_000, 25_000);
    const token = typeof request.page_token === "string" ? request.page_token : "";
    const after = token ? Buffer.from(token, "base64url").toString("utf8") : undefined;
    const start = after === undefined ? 0 : items.findIndex((item) => key(item) > after);
    const rest = start < 0 ? [] : items.slice(start);
    const chosen = rest.slice(0, size);
    const more = rest.length > size;
    return {
      chosen,
      next_page_token: more ? Buffer.from(key(chosen.at(-1) as T), "utf8").toString("base64url") : "",
      total_size: items.length,
    };
  };

  const handlers: Record<string, Handler> = {
    ListSecrets(request) {
      parseProject(request.parent);
      const all = [...secrets.values()]
        .filter((secret) => matchesFilter(secret, String(request.filter ?? "")))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const result = page(all, request, (secret) => secret.id);
      return {
        secrets: result.chosen.map(secretMessage),
        next_page_token: result.next_page_token,
        total_size: result.total_size,
      };
    },

    CreateSecret(request) {
      parseProject(request.parent);
      const id = String(request.secret_id ?? "");
      if (!SECRET_ID.test(id)) {
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          "Secret ID must be 1-255 characters of [a-zA-Z0-9_-].",
        );
      }
      const body = (request.secret ?? {}) as Record<string, unknown>;
      const replication = body.replication as { replication?: string } | null | undefined;
      if (!replication?.replication) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, "Secret.replication is required.");
      }
      const labels = { ...((body.labels as Record<string, string>) ?? {}) };
      const annotations = { ...((body.annotations as Record<string, string>) ?? {}) };
      checkLabels(labels);
      checkAnnotations(annotations);
      if (secrets.has(id))
        throw new RpcError(grpc.status.ALREADY_EXISTS, `Secret [${secretName(id)}] already exists.`);
      const secret: StoredSecret = {
        id,
        labels,
        annotations,
        replication,
        etag: newEtag(),
        createTime: now(),
        versions: [],
      };
      secrets.set(id, secret);
      return secretMessage(secret);
    },

    AddSecretVersion(request) {
      const secret = findSecret(request.parent);
      const payload = (request.payload ?? {}) as {
        data?: Buffer;
        data_crc32c?: string | null;
        _data_crc32c?: string;
      };
      const data = payload.data ?? Buffer.alloc(0);
      if (data.length > MAX_PAYLOAD) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, "Secret payload data must be no larger than 64KiB.");
      }
      const actual = crc32c(data);
      const given = payload._data_crc32c === "data_crc32c" ? payload.data_crc32c : undefined;
      if (given !== undefined && given !== null && String(given) !== String(actual)) {
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          "Checksum mismatch: the payload data was corrupted in transit.",
        );
      }
      const version: StoredVersion = {
        number: (secret.versions.at(-1)?.number ?? 0) + 1,
        state: "ENABLED",
        data: Buffer.from(data),
        crc32c: actual,
        clientChecksum: given !== undefined && given !== null,
        etag: newEtag(),
        createTime: now(),
      };
      secret.versions.push(version);
      return versionMessage(secret, version);
    },

    GetSecret(request) {
      return secretMessage(findSecret(request.name));
    },

    UpdateSecret(request) {
      const body = (request.secret ?? {}) as Record<string, unknown>;
      const secret = findSecret(body.name);
      checkEtag(body.etag, secret.etag, `secret [${secretName(secret.id)}]`);
      const paths = ((request.update_mask as { paths?: string[] } | null)?.paths ?? []).flatMap((path) =>
        path.split(","),
      );
      if (paths.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, "update_mask is required.");
      const labels = paths.includes("labels")
        ? { ...((body.labels as Record<string, string>) ?? {}) }
        : secret.labels;
      const annotations = paths.includes("annotations")
        ? { ...((body.annotations as Record<string, string>) ?? {}) }
        : secret.annotations;
      for (const path of paths) {
        if (path !== "labels" && path !== "annotations") {
          throw new RpcError(
            grpc.status.INVALID_ARGUMENT,
            `update_mask path [${path}] is not supported here.`,
          );
        }
      }
      checkLabels(labels);
      checkAnnotations(annotations);
      secret.labels = labels;
      secret.annotations = annotations;
      secret.etag = newEtag();
      return secretMessage(secret);
    },

    DeleteSecret(request) {
      const secret = findSecret(request.name);
      checkEtag(request.etag, secret.etag, `secret [${secretName(secret.id)}]`);
      secrets.delete(secret.id);
      return {};
    },

    ListSecretVersions(request) {
      const secret = findSecret(request.parent);
      const newestFirst = [...secret.versions].sort((a, b) => b.number - a.number);
      const result = page(newestFirst, request, (version) => String(1e12 - version.number).padStart(13, "0"));
      return {
        versions: result.chosen.map((version) => versionMessage(secret, version)),
        next_page_token: result.next_page_token,
        total_size: result.total_size,
      };
    },

    GetSecretVersion(request) {
      const { secret, version } = findVersion(request.name);
      return versionMessage(secret, version);
    },

    AccessSecretVersion(request) {
      const { secret, version } = findVersion(request.name);
      const name = `${secretName(secret.id)}/versions/${version.number}`;
      if (version.state !== "ENABLED" || !version.data) {
        throw new RpcError(
          grpc.status.FAILED_PRECONDITION,
          `Secret Version [${name}] is in ${version.state} state.`,
        );
      }
      let data = Buffer.from(version.data);
      if (corruptions > 0 && data.length > 0) {
        corruptions -= 1;
        data = Buffer.from(data);
        data[data.length >> 1] = (data[data.length >> 1] as number) ^ 0x01;
      }
      return { name, payload: { data, data_crc32c: String(version.crc32c) } };
    },

    DisableSecretVersion(request) {
      return transition(request, "DISABLED");
    },
    EnableSecretVersion(request) {
      return transition(request, "ENABLED");
    },
    DestroySecretVersion(request) {
      return transition(request, "DESTROYED");
    },
  };

  function transition(request: Record<string, unknown>, to: State) {
    const { secret, version } = findVersion(request.name);
    const name = `${secretName(secret.id)}/versions/${version.number}`;
    checkEtag(request.etag, version.etag, `secret version [${name}]`);
    if (version.state === "DESTROYED") {
      throw new RpcError(grpc.status.FAILED_PRECONDITION, `Secret Version [${name}] is in DESTROYED state.`);
    }
    version.state = to;
    if (to === "DESTROYED") {
      version.data = undefined;
      version.destroyTime = now();
    }
    version.etag = newEtag();
    return versionMessage(secret, version);
  }

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: Callback,
    ) => {
      const request = call.request;
      const recorded: Record<string, unknown> = { ...request };
      const payload = request.payload as { data?: Buffer } | undefined;
      if (payload?.data) recorded.payload = { ...payload, data: payload.data.length };
      calls.push({ method, request: recorded, metadata: call.metadata.getMap() });
      const respond = () => {
        const fault = faults.find((candidate) => candidate.method === method || candidate.method === "*");
        if (fault) {
          fault.times -= 1;
          if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
          callback({ code: fault.code, details: fault.message });
          return;
        }
        try {
          callback(null, handler(request, call.metadata));
        } catch (error) {
          if (error instanceof RpcError) callback({ code: error.code, details: error.message });
          else callback({ code: grpc.status.INTERNAL, details: "Internal error." });
        }
      };
      let delay = server.latencyMs;
      const slow = delays.find((candidate) => candidate.method === method);
      if (slow) {
        delay += slow.ms;
        slow.times -= 1;
        if (slow.times <= 0) delays.splice(delays.indexOf(slow), 1);
      }
      if (delay > 0) setTimeout(respond, delay);
      else respond();
    };
  }

  const grpcServer = new grpc.Server();
  grpcServer.addService(service, implementation);
  const port = await new Promise<number>((resolvePort, reject) => {
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolvePort(bound),
    );
  });

  const server: GcpSecretManagerServer = {
    port,
    projectId,
    projectNumber,
    calls,
    latencyMs: 0,
    fail(method, code, times = 1, message = `Injected ${grpc.status[code]}.`) {
      faults.push({ method, code, times, message });
    },
    slow(method, ms, times = 1) {
      delays.push({ method, ms, times });
    },
    corruptNextAccess(times = 1) {
      corruptions += times;
    },
    secret: (id) => secrets.get(id),
    close: () =>
      new Promise<void>((done) => {
        grpcServer.tryShutdown(() => done());
        setTimeout(() => {
          grpcServer.forceShutdown();
          done();
        }, 1000).unref();
      }),
  };
  return server;
}
