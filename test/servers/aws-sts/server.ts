/**
 * AWS STS on loopback, from the STS API reference: the query protocol (`POST /`, form-encoded
 * `Action` and `Version=2011-06-15`), XML responses, `GetCallerIdentity` and `AssumeRole`, every
 * request's SigV4 signature verified against the caller's secret (temporary credentials need
 * their `X-Amz-Security-Token`), and STS's XML errors: `InvalidClientTokenId` (unknown key id),
 * `SignatureDoesNotMatch` (wrong secret), `AccessDenied` (a role the caller may not assume).
 */
import { randomBytes } from "node:crypto";
import { type LoopbackServer, type RecordedRequest, type Reply, startLoopback } from "../providers/base.js";
import { signedBy, verifySigV4 } from "./sigv4.js";

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

/** A principal the stand-in knows. */
export interface StsPrincipal {
  readonly secretAccessKey: string;
  readonly arn: string;
  readonly userId: string;
  readonly account: string;
  /** Temporary credentials only. */
  readonly sessionToken?: string;
  /** Role ARNs this principal may assume. */
  readonly mayAssume?: readonly string[];
}

function xml(status: number, body: string): Reply {
  return {
    status,
    body,
    headers: { "content-type": "text/xml", "x-amzn-requestid": "c6104cbe-af31-11e0-8154-cbc7ccf896c7" },
  };
}

export function stsError(status: number, code: string, message: string): Reply {
  return xml(
    status,
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`,
  );
}

const metadata =
  "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>";

/** The principal whose secret signed `request`, or the STS error reply. */
function authenticate(principals: Map<string, StsPrincipal>, request: RecordedRequest): Reply | StsPrincipal {
  const signed = signedBy(request);
  const principal = signed ? principals.get(signed.accessKeyId) : undefined;
  if (!principal)
    return stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  if (
    principal.sessionToken !== undefined &&
    request.headers["x-amz-security-token"] !== principal.sessionToken
  ) {
    return stsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  }
  if (!verifySigV4(request, principal.secretAccessKey, "sts")) {
    return stsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  return principal;
}

/** How the stand-in behaves beyond the API reference, for tests. */
export interface StsOptions {
  /** The secret parts of the temporary credentials AssumeRole issues. @default random */
  readonly temporary?: (() => { secretAccessKey: string; sessionToken: string }) | undefined;
  /** Answers a request signed by temporary credentials instead of the normal route, when it returns a reply. */
  readonly answerTemporary?: ((principal: StsPrincipal) => Reply | undefined) | undefined;
}

function assumeRole(
  principals: Map<string, StsPrincipal>,
  caller: StsPrincipal,
  form: URLSearchParams,
  options: StsOptions,
): Reply {
  const roleArn = form.get("RoleArn") ?? "";
  const session = form.get("RoleSessionName") ?? "";
  if (!caller.mayAssume?.includes(roleArn)) {
    return stsError(
      403,
      "AccessDenied",
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  }
  const [, account, role] = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn) ?? [];
  const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
  const temporary: StsPrincipal = {
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: randomBytes(64).toString("base64"),
    ...options.temporary?.(),
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    userId: `AROA3XFRBF535EXAMPLE:${session}`,
    account: account as string,
  };
  principals.set(accessKeyId, temporary);
  return xml(
    200,
    `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${temporary.secretAccessKey}</SecretAccessKey><SessionToken>${temporary.sessionToken}</SessionToken><Expiration>${new Date(Date.now() + 900_000).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${temporary.userId}</AssumedRoleId><Arn>${temporary.arn}</Arn></AssumedRoleUser></AssumeRoleResult>${metadata}</AssumeRoleResponse>`,
  );
}

/** Starts STS with these principals (access key id → principal). */
export async function startStsServer(
  known: Record<string, StsPrincipal>,
  options: StsOptions = {},
): Promise<LoopbackServer> {
  const principals = new Map(Object.entries(known));
  let caller: StsPrincipal | undefined;
  return startLoopback(
    (request) => {
      const result = authenticate(principals, request);
      if ("status" in result) return result;
      caller = result;
      return undefined;
    },
    (request) => {
      const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
      if (request.method !== "POST" || request.path !== "/" || form.get("Version") !== "2011-06-15") {
        return stsError(400, "InvalidAction", "Could not find operation for this request.");
      }
      const principal = caller as StsPrincipal;
      const answer = principal.sessionToken !== undefined ? options.answerTemporary?.(principal) : undefined;
      if (answer) return answer;
      switch (form.get("Action")) {
        case "GetCallerIdentity":
          return xml(
            200,
            `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${principal.arn}</Arn><UserId>${principal.userId}</UserId><Account>${principal.account}</Account></GetCallerIdentityResult>${metadata}</GetCallerIdentityResponse>`,
          );
        case "AssumeRole":
          return assumeRole(principals, principal, form, options);
        default:
          return stsError(
            400,
            "InvalidAction",
            `The action ${form.get("Action")} is not valid for this web service.`,
          );
      }
    },
  );
}
