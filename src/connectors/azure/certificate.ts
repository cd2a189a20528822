/**
 * The client certificate PEM an app registration authenticates with: a certificate and its
 * unencrypted private key in one document, checked before any request. Problems never quote it.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;

/** What is wrong with a certificate PEM, or undefined when it holds a certificate and its key. */
export function certificateProblem(pem: string): string | undefined {
  const certificate = CERTIFICATE.exec(pem)?.[0];
  const key = PRIVATE_KEY.exec(pem)?.[0];
  if (certificate === undefined) return "the certificate PEM holds no certificate";
  if (key === undefined) return "the certificate PEM holds no unencrypted private key";
  try {
    if (!new X509Certificate(certificate).checkPrivateKey(createPrivateKey(key))) {
      return "the certificate PEM's private key does not belong to its certificate";
    }
  } catch {
    return "the certificate PEM does not parse";
  }
  return undefined;
}
