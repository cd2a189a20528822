/**
 * A webhook receiver on 127.0.0.1: keeps every request's raw body and headers, verifies each with
 * `verifyWebhook`, and answers what the test scripts (by default 204).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "../../src/ops/webhooks-signing.js";

/** One request as received. */
export interface Received {
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** Whether `verifyWebhook` accepted it. */
  readonly verified: boolean;
}

/** What to answer: a status (and headers), or "hold" to keep the request open until released. */
export type Answer = { status: number; headers?: Record<string, string> } | "hold";

export async function startReceiver(
  secret: string,
  script: (index: number) => Answer = () => ({ status: 204 }),
) {
  const received: Received[] = [];
  const held: Array<() => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const index = received.length;
      void verifyWebhook(body, request.headers, secret)
        .then(
          () => true,
          () => false,
        )
        .then((verified) => {
          received.push({ body, headers: request.headers, verified });
          const answer = script(index);
          const respond = (status: number, headers?: Record<string, string>) => {
            response.writeHead(status, headers).end();
          };
          if (answer === "hold") held.push(() => respond(204));
          else respond(answer.status, answer.headers);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Answers every held request with 204. */
    release(): void {
      for (const respond of held.splice(0)) respond();
    },
    held: () => held.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
