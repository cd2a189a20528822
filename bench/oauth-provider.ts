/**
 * The bench's OAuth server in a process of its own: oidc-provider (with its AsyncLocalStorage)
 * in the measuring process would slow every promise there, which is not credkit's cost.
 * Prints its issuer and test client as JSON, then answers each line on stdin (an authorization
 * URL) with the callback URL it redirects to; each answer starts with `REPLY`.
 */
import { createInterface } from "node:readline";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, startTestProvider } from "../test/oauth/support/provider.js";

/** Marks this script's answers among oidc-provider's own notices on stdout. */
const REPLY = "@credkit-bench ";

const server = await startTestProvider({ accessTokenTtl: 3600 });
const client = {
  issuer: server.issuer,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  redirectUri: REDIRECT_URI,
};
process.stdout.write(`${REPLY}${JSON.stringify(client)}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(`${REPLY}${(await server.authorize(line)).href}\n`);
}
await server.close();
