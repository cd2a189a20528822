/**
 * A loopback AWS Secrets Manager speaking the JSON 1.1 protocol as the real service does
 * (wire-protocols.md §1): `POST /` dispatched on `x-amz-target: secretsmanager.<Operation>`,
 * epoch-second timestamps, base64 binaries, `{"__type","Message"}` errors with the real codes
 * and messages, version stages (AWSCURRENT / AWSPREVIOUS / custom labels), `ClientRequestToken`
 * idempotency (the token is the VersionId), recovery windows, and `BatchGetSecretValue` with
 * per-item errors.
 *
 * Test controls: `faults` (throttling, 500, latency, dropped connections before or after the
 * request is applied, per operation and count), `requests` (every request seen, for counting
 * calls), `accessKeys` (unknown keys are refused as the real service does), `denied` (secret
 * names whose access is denied), `clock` (to expire recovery windows), and `beforeHandle` (a hook
 * run before an operation is applied, to interleave another writer).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const MAX_SECRET_BYTES = 65_536;
const MAX_VERSIONS = 100;
const MAX_BATCH_IDS = 20;

/** A fault applied to matching requests. */
export interface Fault {
  /** Operation name (e.g. `PutSecretValue`); omitted matches every operation. */
  target?: string;
  /**
   * - `throttle`: 400 ThrottlingException. `limit`: 400 LimitExceededException.
   * - `error500`: 500 InternalServiceError. `deny`: 400 AccessDeniedException.
   * - `latency`: wait `ms`, then answer normally.
   * - `drop-before`: close the connection without applying the request.
   * - `drop-after`: apply the request, then close the connection without answering.
   */
  kind: "throttle" | "limit" | "error500" | "deny" | "latency" | "drop-before" | "drop-after";
  /** How many matching requests it applies to. @default 1 */
  times?: number;
  /** Delay for `latency`. */
  ms?: number;
}

/** One request the server received. */
export interface SeenRequest {
  readonly target: string;
  readonly body: Record<string, unknown>;
  status?: number;
}

interface Version {
  readonly id: string;
  readonly string: string | undefined;
  readonly binary: string | undefined;
  readonly createdDate: number;
  stages: Set<string>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  description: string | undefined;
  kmsKeyId: string | undefined;
  tags: Array<{ Key: string; Value: string }>;
  readonly createdDate: number;
  lastChangedDate: number;
  lastAccessedDate: number | undefined;
  deletedDate: number | undefined;
  /** When a scheduled deletion takes effect. */
  deletionDate: number | undefined;
  /** Versions in creation order. */
  readonly versions: Map<string, Version>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const notFound = () =>
  new ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new ServiceError(
    "InvalidRequestException",
    "You can't perform this operation on the secret because it was marked for deletion.",
  );
const validation = (field: string, constraint: string) =>
  new ServiceError(
    "ValidationException",
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );

type Body = Record<string, unknown>;

function str(body: Body, field: string): string | undefined {
  const value = body[field];
  return typeof value === "string" ? value : undefined;
}

export class FakeSecretsManager {
  readonly secrets = new Map<string, StoredSecret>();
  readonly requests: SeenRequest[] = [];
  readonly faults: Fault[] = [];
  /** Access key ids accepted; others get UnrecognizedClientException. Empty accepts any. */
  readonly accessKeys = new Set<string>();
  /** Secret names whose access is denied (AccessDeniedException, per item in batches). */
  readonly denied = new Set<string>();
  /** Seconds since the epoch, as the server sees them. */
  clock: () => number = () => Date.now() / 1000;
  /** Runs before an operation is applied (after faults); lets a test interleave a writer. */
  beforeHandle: ((target: string, body: Body) => Promise<void> | void) | undefined;

  #server: Server | undefined;
  #sockets = new Set<Socket>();

  /** Starts listening on 127.0.0.1 at a random port; returns the endpoint URL. */
  async start(): Promise<string> {
    const server = createServer((request, response) => {
      void this.#serve(request, response);
    });
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** How many requests of this operation were received. */
  count(target: string): number {
    return this.requests.filter((request) => request.target === target).length;
  }

  /** Forgets the request log and faults. */
  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.denied.clear();
    this.beforeHandle = undefined;
  }

  /** The stored secret by name, scheduled deletions that have run their course removed. */
  secret(name: string): StoredSecret | undefined {
    this.#expire();
    return this.secrets.get(name);
  }

  // ------------------------------------------------------------------ transport

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const targetHeader = String(request.headers["x-amz-target"] ?? "");
    const target = targetHeader.startsWith("secretsmanager.")
      ? targetHeader.slice("secretsmanager.".length)
      : "";
    let body: Body = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Body) : {};
    } catch {
      return this.#send(
        response,
        { target, body },
        new ServiceError("SerializationException", "Malformed JSON."),
      );
    }
    const seen: SeenRequest = { target, body };
    this.requests.push(seen);

    if (request.method !== "POST" || request.url !== "/") {
      return this.#send(
        response,
        seen,
        new ServiceError("UnknownOperationException", "Unknown operation.", 404),
      );
    }
    if (request.headers["content-type"] !== "application/x-amz-json-1.1") {
      return this.#send(
        response,
        seen,
        new ServiceError("SerializationException", "Expected application/x-amz-json-1.1."),
      );
    }
    const authorization = String(request.headers.authorization ?? "");
    const keyId = /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(authorization)?.[1];
    if (!keyId) {
      return this.#send(
        response,
        seen,
        new ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token"),
      );
    }
    if (this.accessKeys.size > 0 && !this.accessKeys.has(keyId)) {
      return this.#send(
        response,
        seen,
        new ServiceError(
          "UnrecognizedClientException",
          "The security token included in the request is invalid.",
        ),
      );
    }

    const fault = this.#takeFault(target);
    if (fault?.kind === "latency") await new Promise((resolve) => setTimeout(resolve, fault.ms ?? 0));
    if (fault?.kind === "drop-before") {
      seen.status = 0;
      request.socket.destroy();
      return;
    }
    if (fault?.kind === "throttle")
      return this.#send(response, seen, new ServiceError("ThrottlingException", "Rate exceeded"));
    if (fault?.kind === "limit") {
      return this.#send(
        response,
        seen,
        new ServiceError("LimitExceededException", "Request limit exceeded."),
      );
    }
    if (fault?.kind === "error500") {
      return this.#send(
        response,
        seen,
        new ServiceError("InternalServiceError", "An error occurred on the server side.", 500),
      );
    }
    if (fault?.kind === "deny") return this.#send(response, seen, this.#deniedError(keyId, target));

    let result: unknown;
    try {
      await this.beforeHandle?.(target, body);
      result = this.#handle(target, body, keyId);
    } catch (error) {
      if (error instanceof ServiceError) return this.#send(response, seen, error);
      return this.#send(
        response,
        seen,
        new ServiceError("InternalServiceError", "An error occurred on the server side.", 500),
      );
    }
    if (fault?.kind === "drop-after") {
      seen.status = 0;
      request.socket.destroy();
      return;
    }
    this.#send(response, seen, undefined, result);
  }

  #takeFault(target: string): Fault | undefined {
    const index = this.faults.findIndex((fault) => fault.target === undefined || fault.target === target);
    if (index < 0) return undefined;
    const fault = this.faults[index] as Fault;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) this.faults.splice(index, 1);
    else this.faults[index] = { ...fault, times: left };
    return fault;
  }

  #send(response: ServerResponse, seen: SeenRequest, error?: ServiceError, result?: unknown): void {
    const status = error ? error.status : 200;
    seen.status = status;
    const payload = error ? { __type: error.type, Message: error.message } : (result ?? {});
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": randomUUID(),
    });
    response.end(JSON.stringify(payload));
  }

  #deniedError(keyId: string, target: string): ServiceError {
    return new ServiceError(
      "AccessDeniedException",
      `User: arn:aws:iam::${ACCOUNT}:user/${keyId} is not authorized to perform: secretsmanager:${target} because no identity-based policy allows the secretsmanager:${target} action`,
    );
  }

  // ------------------------------------------------------------------ operations

  #handle(target: string, body: Body, keyId: string): unknown {
    this.#expire();
    switch (target) {
      case "CreateSecret":
        return this.#create(body);
      case "PutSecretValue":
        return this.#putValue(body, keyId);
      case "UpdateSecret":
        return this.#update(body, keyId);
      case "GetSecretValue":
        return this.#getValue(body, keyId);
      case "BatchGetSecretValue":
        return this.#batchGet(body, keyId);
      case "DescribeSecret":
        return this.#describe(this.#find(body, keyId, "DescribeSecret"));
      case "ListSecrets":
        return this.#list(body);
      case "ListSecretVersionIds":
        return this.#listVersions(body, keyId);
      case "DeleteSecret":
        return this.#delete(body, keyId);
      case "RestoreSecret":
        return this.#restore(body, keyId);
      case "TagResource":
        return this.#tag(body, keyId);
      case "UntagResource":
        return this.#untag(body, keyId);
      default:
        throw new ServiceError("UnknownOperationException", `Unknown operation ${target}.`);
    }
  }

  /** Removes secrets whose recovery window has passed. */
  #expire(): void {
    const now = this.clock();
    for (const [name, secret] of this.secrets) {
      if (secret.deletionDate !== undefined && secret.deletionDate <= now) this.secrets.delete(name);
    }
  }

  #lookup(id: string | undefined): StoredSecret | undefined {
    if (id === undefined) throw validation("secretId", "Member must not be null");
    const byName = this.secrets.get(id);
    if (byName) return byName;
    for (const secret of this.secrets.values()) if (secret.arn === id) return secret;
    return undefined;
  }

  #find(body: Body, keyId: string, target: string, field = "SecretId"): StoredSecret {
    const id = str(body, field);
    const secret = this.#lookup(id);
    if (!secret) throw notFound();
    if (this.denied.has(secret.name)) throw this.#deniedError(keyId, target);
    return secret;
  }

  #token(body: Body): string {
    const token = str(body, "ClientRequestToken") ?? randomUUID();
    if (token.length < 32 || token.length > 64) {
      throw validation("clientRequestToken", "Member must have length between 32 and 64");
    }
    return token;
  }

  #value(body: Body): { string: string | undefined; binary: string | undefined } {
    const string = str(body, "SecretString");
    const binary = str(body, "SecretBinary");
    if (string !== undefined && binary !== undefined) {
      throw new ServiceError(
        "InvalidParameterException",
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    }
    if (string !== undefined && Buffer.byteLength(string, "utf8") > MAX_SECRET_BYTES) {
      throw validation("secretString", `Member must have length less than or equal to ${MAX_SECRET_BYTES}`);
    }
    if (binary !== undefined && Buffer.from(binary, "base64").length > MAX_SECRET_BYTES) {
      throw validation("secretBinary", `Member must have length less than or equal to ${MAX_SECRET_BYTES}`);
    }
    return { string, binary };
  }

  /** Adds a version (or answers idempotently for a repeated token), moving the stages. */
  #addVersion(
    secret: StoredSecret,
    token: string,
    value: { string: string | undefined; binary: string | undefined },
    stages: string[],
  ): Version {
    const existing = secret.versions.get(token);
    if (existing) {
      if (existing.string === value.string && existing.binary === value.binary) return existing;
      throw new ServiceError(
        "ResourceExistsException",
        `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`,
      );
    }
    const now = this.clock();
    const version: Version = {
      id: token,
      string: value.string,
      binary: value.binary,
      createdDate: now,
      stages: new Set(),
    };
    secret.versions.set(token, version);
    for (const stage of stages) this.#moveStage(secret, stage, version);
    secret.lastChangedDate = now;
    this.#dropDeprecated(secret);
    return version;
  }

  /** Moves a label onto `to`; moving AWSCURRENT hands AWSPREVIOUS to the version that had it. */
  #moveStage(secret: StoredSecret, stage: string, to: Version): void {
    const from = [...secret.versions.values()].find((version) => version.stages.has(stage));
    if (from === to) return;
    from?.stages.delete(stage);
    to.stages.add(stage);
    if (stage === CURRENT && from) {
      for (const version of secret.versions.values()) version.stages.delete(PREVIOUS);
      from.stages.add(PREVIOUS);
    }
  }

  /** Versions without labels are deprecated; the oldest are removed beyond 100 versions. */
  #dropDeprecated(secret: StoredSecret): void {
    for (const [id, version] of secret.versions) {
      if (secret.versions.size <= MAX_VERSIONS) return;
      if (version.stages.size === 0) secret.versions.delete(id);
    }
  }

  #create(body: Body): unknown {
    const name = str(body, "Name");
    if (name === undefined || !NAME_PATTERN.test(name)) {
      throw validation("name", "Member must satisfy regular expression pattern: [a-zA-Z0-9/_+=.@-]{1,512}");
    }
    const token = this.#token(body);
    const value = this.#value(body);
    const existing = this.secrets.get(name);
    if (existing) {
      if (existing.deletedDate !== undefined) {
        throw new ServiceError(
          "InvalidRequestException",
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      const version = existing.versions.get(token);
      if (version && version.string === value.string && version.binary === value.binary) {
        return { ARN: existing.arn, Name: existing.name, VersionId: version.id };
      }
      throw new ServiceError(
        "ResourceExistsException",
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const tags = Array.isArray(body.Tags) ? (body.Tags as Array<{ Key: string; Value: string }>) : [];
    const now = this.clock();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString("hex")}`,
      name,
      description: str(body, "Description"),
      kmsKeyId: str(body, "KmsKeyId"),
      tags: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })),
      createdDate: now,
      lastChangedDate: now,
      lastAccessedDate: undefined,
      deletedDate: undefined,
      deletionDate: undefined,
      versions: new Map(),
    };
    this.secrets.set(name, secret);
    if (value.string === undefined && value.binary === undefined) return { ARN: secret.arn, Name: name };
    const version = this.#addVersion(secret, token, value, [CURRENT]);
    return { ARN: secret.arn, Name: name, VersionId: version.id };
  }

  #putValue(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "PutSecretValue");
    const token = this.#token(body);
    const value = this.#value(body);
    if (value.string === undefined && value.binary === undefined) {
      throw new ServiceError(
        "InvalidParameterException",
        "You must provide either SecretString or SecretBinary.",
      );
    }
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    const stages = Array.isArray(body.VersionStages) ? (body.VersionStages as string[]) : [CURRENT];
    const version = this.#addVersion(secret, token, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  #update(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "UpdateSecret");
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    const description = str(body, "Description");
    if (description !== undefined) {
      if (description.length > 2048)
        throw validation("description", "Member must have length less than or equal to 2048");
      secret.description = description;
    }
    const kmsKeyId = str(body, "KmsKeyId");
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    secret.lastChangedDate = this.clock();
    const value = this.#value(body);
    if (value.string === undefined && value.binary === undefined)
      return { ARN: secret.arn, Name: secret.name };
    const version = this.#addVersion(secret, this.#token(body), value, [CURRENT]);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id };
  }

  /** The version a read selects, or the error the real service answers. */
  #select(secret: StoredSecret, versionId: string | undefined, stage: string | undefined): Version {
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    if (versionId !== undefined) {
      const version = secret.versions.get(versionId);
      if (!version) {
        throw new ServiceError(
          "ResourceNotFoundException",
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      if (stage !== undefined && !version.stages.has(stage)) {
        throw new ServiceError(
          "InvalidRequestException",
          "You provided a VersionStage that is not associated to the provided VersionId.",
        );
      }
      return version;
    }
    const label = stage ?? CURRENT;
    const version = [...secret.versions.values()].find((candidate) => candidate.stages.has(label));
    if (!version) {
      throw new ServiceError(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for staging label: ${label}`,
      );
    }
    return version;
  }

  #valueOf(secret: StoredSecret, version: Version): Record<string, unknown> {
    secret.lastAccessedDate = Math.floor(this.clock() / 86_400) * 86_400;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.string !== undefined ? { SecretString: version.string } : {}),
      ...(version.binary !== undefined ? { SecretBinary: version.binary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  #getValue(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "GetSecretValue");
    return this.#valueOf(secret, this.#select(secret, str(body, "VersionId"), str(body, "VersionStage")));
  }

  #batchGet(body: Body, keyId: string): unknown {
    const ids = body.SecretIdList as string[] | undefined;
    const filters = body.Filters as Array<{ Key: string; Values: string[] }> | undefined;
    if ((ids === undefined) === (filters === undefined)) {
      throw new ServiceError(
        "InvalidParameterException",
        "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
      );
    }
    if (ids !== undefined) {
      if (ids.length > MAX_BATCH_IDS) {
        throw validation("secretIdList", `Member must have length less than or equal to ${MAX_BATCH_IDS}`);
      }
      if (body.MaxResults !== undefined) {
        throw new ServiceError(
          "InvalidParameterException",
          "'MaxResults' can only be used together with 'Filters'.",
        );
      }
      const values: unknown[] = [];
      const errors: unknown[] = [];
      for (const id of ids) {
        try {
          const secret = this.#lookup(id);
          if (!secret) throw notFound();
          if (this.denied.has(secret.name)) throw this.#deniedError(keyId, "GetSecretValue");
          values.push(this.#valueOf(secret, this.#select(secret, undefined, undefined)));
        } catch (error) {
          if (!(error instanceof ServiceError)) throw error;
          errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
        }
      }
      return { SecretValues: values, Errors: errors };
    }
    const max = typeof body.MaxResults === "number" ? body.MaxResults : MAX_BATCH_IDS;
    if (max < 1 || max > MAX_BATCH_IDS)
      throw validation("maxResults", "Member must have value between 1 and 20");
    const matching = this.#matching(filters ?? [], false);
    const { page, next } = this.#page(matching, body.NextToken, max);
    const values: unknown[] = [];
    const errors: unknown[] = [];
    for (const secret of page) {
      try {
        values.push(this.#valueOf(secret, this.#select(secret, undefined, undefined)));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        errors.push({ SecretId: secret.name, ErrorCode: error.type, Message: error.message });
      }
    }
    return { SecretValues: values, Errors: errors, ...(next ? { NextToken: next } : {}) };
  }

  #matching(filters: Array<{ Key: string; Values: string[] }>, includeDeleted: boolean): StoredSecret[] {
    const matches = (secret: StoredSecret, filter: { Key: string; Values: string[] }): boolean =>
      filter.Values.some((raw) => {
        const negate = raw.startsWith("!");
        const value = negate ? raw.slice(1) : raw;
        let hit: boolean;
        switch (filter.Key) {
          case "name":
            hit = secret.name.startsWith(value);
            break;
          case "description":
            hit = (secret.description ?? "").toLowerCase().startsWith(value.toLowerCase());
            break;
          case "tag-key":
            hit = secret.tags.some((tag) => tag.Key.startsWith(value));
            break;
          case "tag-value":
            hit = secret.tags.some((tag) => tag.Value.startsWith(value));
            break;
          case "primary-region":
            hit = REGION.startsWith(value);
            break;
          case "all": {
            const words = value.toLowerCase().split(/\s+/).filter(Boolean);
            const text = [
              secret.name,
              secret.description ?? "",
              ...secret.tags.flatMap((t) => [t.Key, t.Value]),
            ]
              .join(" ")
              .toLowerCase();
            hit = words.every((word) => text.includes(word));
            break;
          }
          default:
            throw new ServiceError("InvalidParameterException", `Invalid filter key ${filter.Key}.`);
        }
        return negate ? !hit : hit;
      });
    return [...this.secrets.values()]
      .filter((secret) => includeDeleted || secret.deletedDate === undefined)
      .filter((secret) => filters.every((filter) => matches(secret, filter)))
      .sort((a, b) => a.createdDate - b.createdDate || (a.name < b.name ? -1 : 1));
  }

  #page<T>(items: T[], token: unknown, max: number): { page: T[]; next?: string } {
    let start = 0;
    if (token !== undefined) {
      const decoded =
        typeof token === "string" ? Number(Buffer.from(token, "base64").toString("utf8")) : Number.NaN;
      if (!Number.isInteger(decoded) || decoded < 0) {
        throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
      }
      start = decoded;
    }
    const page = items.slice(start, start + max);
    const end = start + max;
    return end < items.length
      ? { page, next: Buffer.from(String(end), "utf8").toString("base64") }
      : { page };
  }

  #stagesOf(secret: StoredSecret): Record<string, string[]> {
    const map: Record<string, string[]> = {};
    for (const version of secret.versions.values())
      if (version.stages.size > 0) map[version.id] = [...version.stages];
    return map;
  }

  #describe(secret: StoredSecret): unknown {
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      Tags: secret.tags,
      VersionIdsToStages: this.#stagesOf(secret),
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      ...(secret.lastAccessedDate !== undefined ? { LastAccessedDate: secret.lastAccessedDate } : {}),
      ...(secret.deletedDate !== undefined ? { DeletedDate: secret.deletedDate } : {}),
    };
  }

  #list(body: Body): unknown {
    const max = typeof body.MaxResults === "number" ? body.MaxResults : 100;
    if (max < 1 || max > 100) throw validation("maxResults", "Member must have value between 1 and 100");
    const filters = (body.Filters as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
    let matching = this.#matching(filters, body.IncludePlannedDeletion === true);
    if (body.SortOrder === "desc") matching = matching.reverse();
    const { page, next } = this.#page(matching, body.NextToken, max);
    return {
      SecretList: page.map((secret) => ({
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description !== undefined ? { Description: secret.description } : {}),
        ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
        Tags: secret.tags,
        SecretVersionsToStages: this.#stagesOf(secret),
        CreatedDate: secret.createdDate,
        LastChangedDate: secret.lastChangedDate,
        ...(secret.deletedDate !== undefined ? { DeletedDate: secret.deletedDate } : {}),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  #listVersions(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "ListSecretVersionIds");
    const includeDeprecated = body.IncludeDeprecated === true;
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: [...secret.versions.values()]
        .filter((version) => includeDeprecated || version.stages.size > 0)
        .map((version) => ({
          VersionId: version.id,
          VersionStages: [...version.stages],
          CreatedDate: version.createdDate,
        })),
    };
  }

  #delete(body: Body, keyId: string): unknown {
    const force = body.ForceDeleteWithoutRecovery === true;
    const window = body.RecoveryWindowInDays;
    if (force && window !== undefined) {
      throw new ServiceError(
        "InvalidParameterException",
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const days = typeof window === "number" ? window : 30;
    if (!force && (days < 7 || days > 30)) {
      throw new ServiceError(
        "InvalidParameterException",
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
      );
    }
    const id = str(body, "SecretId");
    const secret = this.#lookup(id);
    const now = this.clock();
    if (!secret) {
      if (force) {
        return {
          ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-${randomBytes(3).toString("hex")}`,
          Name: id,
          DeletionDate: now,
        };
      }
      throw notFound();
    }
    if (this.denied.has(secret.name)) throw this.#deniedError(keyId, "DeleteSecret");
    if (force) {
      this.secrets.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedDate !== undefined) {
      throw new ServiceError(
        "InvalidRequestException",
        "You tried to perform the operation on a secret that's currently marked deleted.",
      );
    }
    secret.deletedDate = now;
    secret.deletionDate = now + days * 86_400;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
  }

  #restore(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "RestoreSecret");
    secret.deletedDate = undefined;
    secret.deletionDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  #tag(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "TagResource");
    for (const tag of (body.Tags as Array<{ Key: string; Value: string }>) ?? []) {
      const existing = secret.tags.find((candidate) => candidate.Key === tag.Key);
      if (existing) existing.Value = tag.Value;
      else secret.tags.push({ Key: tag.Key, Value: tag.Value });
    }
    return {};
  }

  #untag(body: Body, keyId: string): unknown {
    const secret = this.#find(body, keyId, "UntagResource");
    const keys = new Set((body.TagKeys as string[]) ?? []);
    secret.tags = secret.tags.filter((tag) => !keys.has(tag.Key));
    return {};
  }
}
