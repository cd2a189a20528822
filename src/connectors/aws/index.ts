/**
 * `aws`: AWS access keys, proven through the official `@aws-sdk/client-sts` (v3), imported on
 * first use. `testConnection()` calls STS `GetCallerIdentity` — which needs no IAM permission —
 * and, when the connection names a role, first `AssumeRole` and then `GetCallerIdentity` as the
 * role; it reports the account and principal (ARN). The client gets the connection's keys and
 * region explicitly, so the SDK's default chain (environment, shared files, the instance
 * metadata service) is never consulted.
 */
import type { STSClient } from "@aws-sdk/client-sts";
import { defineConnector } from "../define.js";
import { classifyFailure, type Failure } from "../failures.js";
import type { ConnectorOptions } from "../types.js";
import { awsSpec } from "./spec.js";
import type { AwsMethods, CallerIdentity } from "./types.js";

export type { AwsConnector, CallerIdentity } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@aws-sdk/client-sts:STSClient": STSClient;
    }
  }
}

/** The `@aws-sdk/client-sts` module (for the `lib` option). */
export type StsModule = typeof import("@aws-sdk/client-sts");

/** Options of the aws connector (`baseURL` is the STS endpoint). */
export type AwsConnectorOptions = ConnectorOptions<StsModule>;

/** The default STS region. */
export const AWS_DEFAULT_REGION = "us-east-1";

const UNAUTHORIZED = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "IncompleteSignature",
]);

/** STS answers a bad key with 403 too: the error code tells a bad key from a refused action. */
function classifyAws(error: unknown): Failure | undefined {
  const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode ?? classifyFailure(error).status;
  if (typeof name === "string" && UNAUTHORIZED.has(name)) return { kind: "unauthorized", status };
  if (name === "AccessDenied") return { kind: "forbidden", status, permission: "sts:AssumeRole" };
  return status === undefined ? undefined : { ...classifyFailure({ status }), status };
}

export const definition = defineConnector<"aws", STSClient, AwsMethods, StsModule>({
  spec: awsSpec,
  async setup(context) {
    const sts = await context.load("@aws-sdk/client-sts", () => import("@aws-sdk/client-sts"));
    const { options } = context;
    const sessionToken = context.optionalSecret("sessionToken")?.reveal();
    const clientFor = (credentials: {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    }) =>
      new sts.STSClient({
        region: context.setting("region") ?? AWS_DEFAULT_REGION,
        credentials,
        ...(context.baseURL !== undefined ? { endpoint: context.baseURL } : {}),
        ...(options.maxRetries !== undefined ? { maxAttempts: options.maxRetries + 1 } : {}),
        ...(options.timeout !== undefined
          ? { requestHandler: { requestTimeout: options.timeout, connectionTimeout: options.timeout } }
          : {}),
      });
    const client = clientFor({
      accessKeyId: context.secret("accessKeyId").reveal(),
      secretAccessKey: context.secret("secretAccessKey").reveal(),
      ...(sessionToken ? { sessionToken } : {}),
    });
    const identityOf = async (as: STSClient, signal: AbortSignal): Promise<CallerIdentity> => {
      const found = await as.send(new sts.GetCallerIdentityCommand({}), { abortSignal: signal });
      return { account: found.Account ?? "", principal: found.Arn ?? "", userId: found.UserId ?? "" };
    };
    const callerIdentity = context.withCallSignal(async (signal): Promise<CallerIdentity> => {
      const roleArn = context.setting("roleArn");
      if (!roleArn) return identityOf(client, signal);
      const assumed = await client.send(
        new sts.AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: "credkit-connection-test",
          DurationSeconds: 900,
        }),
        { abortSignal: signal },
      );
      const temporary = assumed.Credentials;
      for (const value of [temporary?.AccessKeyId, temporary?.SecretAccessKey, temporary?.SessionToken]) {
        context.redact(value);
      }
      const roleClient = clientFor({
        accessKeyId: temporary?.AccessKeyId ?? "",
        secretAccessKey: temporary?.SecretAccessKey ?? "",
        sessionToken: temporary?.SessionToken ?? "",
      });
      try {
        return await identityOf(roleClient, signal);
      } finally {
        roleClient.destroy();
      }
    });
    return {
      client,
      methods: { callerIdentity },
      async verify() {
        const { account, principal } = await callerIdentity();
        return { identity: { account, principal } };
      },
      close: () => client.destroy(),
      classify: classifyAws,
    };
  },
});

/** `getConnector("aws", credentials, options)` without the registry. */
export const createAwsConnector = definition.create;
