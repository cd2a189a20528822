/**
 * The structure of a Google Cloud service account key (the JSON file IAM hands out), checked
 * before any request: JSON, `"type": "service_account"`, a project id, a service account email
 * and a PEM private key that parses. Problems name the field, never a value.
 */
import { createPrivateKey } from "node:crypto";

/** The parts of a service account key the connector uses. */
export interface ServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKey: string;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const CLIENT_EMAIL = /^[a-z0-9][a-z0-9._-]*@[a-z0-9.-]+\.gserviceaccount\.com$/;

function parsedPrivateKey(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.includes("-----BEGIN PRIVATE KEY-----")) return undefined;
  try {
    createPrivateKey(value);
    return value;
  } catch {
    return undefined;
  }
}

/**
 * The service account in `text`, or what is wrong with it. Never includes a value from the text:
 * a JSON parse error would quote it, so none is passed on.
 */
export function readServiceAccount(text: string): ServiceAccount | { readonly problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: "it is not valid JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { problem: "it is not a JSON object" };
  }
  const fields = json as Record<string, unknown>;
  if (fields.type !== "service_account") return { problem: 'its "type" is not "service_account"' };
  const { project_id: projectId, client_email: clientEmail } = fields;
  if (typeof projectId !== "string" || !PROJECT_ID.test(projectId)) {
    return { problem: '"project_id" is missing or not a project id' };
  }
  if (typeof clientEmail !== "string" || !CLIENT_EMAIL.test(clientEmail)) {
    return { problem: '"client_email" is missing or not a service account email' };
  }
  const privateKey = parsedPrivateKey(fields.private_key);
  if (privateKey === undefined) return { problem: '"private_key" is missing or not a PEM private key' };
  return { projectId, clientEmail, privateKey };
}
