/**
 * `sendHttp`, the REST backends' request: a response read whole, and a request whose server
 * never answers ended by undici's own timeout, socket closed, with an error the error ladder
 * classifies as a failure to reach the service.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isNetworkError } from "../../src/kit/error-ladder.js";
import { sendHttp } from "../../src/kit/http-exchange.js";

let server: Server | undefined;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("sendHttp", () => {
  it("sends method, headers and body, and reads status, headers and body whole", async () => {
    const url = await listen((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        response.setHeader("x-echo", `${request.method} ${request.headers["x-test"]}`);
        response.statusCode = 201;
        response.end(`got:${body}`);
      });
    });
    const reply = await sendHttp({
      url: `${url}/path`,
      method: "POST",
      headers: { "x-test": "yes" },
      body: "héllo",
      timeoutMs: 5_000,
    });
    expect(reply).toMatchObject({ status: 201, text: "got:héllo", headers: { "x-echo": "POST yes" } });
  });

  it("ends a request the server never answers at timeoutMs: socket closed, a network error", async () => {
    const closed: Promise<unknown>[] = [];
    const url = await listen((request) => {
      closed.push(once(request.socket, "close"));
    });
    const error = await sendHttp({ url, method: "GET", headers: {}, timeoutMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe("UND_ERR_HEADERS_TIMEOUT");
    expect(isNetworkError(error)).toBe(true);
    expect(closed).toHaveLength(1);
    await closed[0];
  });
});
