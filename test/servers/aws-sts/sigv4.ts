/**
 * Verifies an AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 …`) as the service does,
 * written from the AWS SigV4 reference: canonical request (method, URI, sorted query, the signed
 * headers with trimmed values, payload hash), string to sign over the credential scope, and the
 * signing key derived from the secret, date, region and service.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { RecordedRequest } from "../providers/base.js";

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** The parts of a SigV4 `Authorization` header, or undefined when it is not one. */
export interface SignedBy {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

export function signedBy(request: RecordedRequest): SignedBy | undefined {
  const header = request.headers.authorization;
  const match = AUTHORIZATION.exec(typeof header === "string" ? header : "");
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, headers, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders: (headers as string).split(";"),
    signature: signature as string,
  };
}

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
const encode = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

function rawBody(request: RecordedRequest): string {
  if (request.body === undefined) return "";
  return typeof request.body === "string" ? request.body : JSON.stringify(request.body);
}

function canonicalRequest(request: RecordedRequest, signed: SignedBy): string {
  const query = [...request.query.entries()]
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .sort()
    .join("&");
  const headers = signed.signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const payload = request.headers["x-amz-content-sha256"] ?? sha256(rawBody(request));
  const path = request.path
    .split("/")
    .map((segment) => encode(decodeURIComponent(segment)))
    .join("/");
  return [request.method, path || "/", query, headers, signed.signedHeaders.join(";"), payload].join("\n");
}

/** Whether `request` is signed by `secretAccessKey` for `service` (the header and its date agree). */
export function verifySigV4(request: RecordedRequest, secretAccessKey: string, service: string): boolean {
  const signed = signedBy(request);
  const amzDate = request.headers["x-amz-date"];
  if (!signed || signed.service !== service || typeof amzDate !== "string") return false;
  if (!amzDate.startsWith(signed.date) || !signed.signedHeaders.includes("host")) return false;
  const scope = `${signed.date}/${signed.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest(request, signed))].join("\n");
  let key = hmac(`AWS4${secretAccessKey}`, signed.date);
  for (const part of [signed.region, service, "aws4_request"]) key = hmac(key, part);
  const expected = createHmac("sha256", key).update(toSign, "utf8").digest();
  return timingSafeEqual(expected, Buffer.from(signed.signature, "hex"));
}
