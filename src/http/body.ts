/**
 * Reading a JSON request body: the content type must be JSON (415 otherwise) and the body at most
 * `limit` bytes (413 otherwise, checked on `Content-Length` and again while reading, so a body
 * sent without a length cannot exceed it either).
 */
import { HttpProblem } from "./problem.js";

/** Default largest request body: 64 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function isJsonType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem("payload_too_large", `The request body exceeds ${limit} bytes.`);
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The parsed JSON body of a request. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  if (!isJsonType(request.headers.get("content-type"))) {
    throw new HttpProblem(
      "unsupported_media_type",
      "The request body must be JSON (Content-Type: application/json).",
      {
        field: "content-type",
      },
    );
  }
  const bytes = await readLimited(request, limit);
  if (bytes.byteLength === 0)
    throw new HttpProblem("validation", "The request needs a JSON body.", { field: "body" });
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpProblem("validation", "The request body is not valid JSON.", { field: "body" });
  }
}
