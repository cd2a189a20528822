/**
 * The key on a brokered request: the auth header carries it and no header the placeholder; the
 * SDK's own headers carry the key only while the platform's fetch copies them (then their own
 * value is back), and never when an operator's fetch may read them later.
 */
import { describe, expect, it } from "vitest";
import { BROKERED_PLACEHOLDER, sendWithKey } from "../../src/connectors/brokered/key-header.js";

const url = new URL("https://api.example.test/v1/chat");
const key = "Bearer sk-the-key";

function sdkHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({
    authorization: `Bearer ${BROKERED_PLACEHOLDER}`,
    accept: "application/json",
    ...extra,
  });
}

/** A fetch that copies the headers when it is called, as the platform's does. */
function copying(sent: Headers[]): typeof globalThis.fetch {
  return (async (_url: URL, init: RequestInit) => {
    sent.push(new Headers(init.headers));
    return new Response("{}");
  }) as unknown as typeof globalThis.fetch;
}

describe("sendWithKey", () => {
  it("in place: the request carries the key, and the SDK's headers get their own value back", async () => {
    const sent: Headers[] = [];
    const headers = sdkHeaders();
    await sendWithKey(copying(sent), true, url, { headers }, "authorization", key);
    expect(sent[0]?.get("authorization")).toBe(key);
    expect(sent[0]?.get("accept")).toBe("application/json");
    expect(headers.get("authorization")).toBe(`Bearer ${BROKERED_PLACEHOLDER}`);
  });

  it("in place: a send that throws leaves the SDK's headers as they were", () => {
    const headers = sdkHeaders();
    const throwing = (() => {
      throw new TypeError("refused");
    }) as unknown as typeof globalThis.fetch;
    expect(() => sendWithKey(throwing, true, url, { headers }, "authorization", key)).toThrow("refused");
    expect(headers.get("authorization")).toBe(`Bearer ${BROKERED_PLACEHOLDER}`);
  });

  it("the placeholder in another header: a copy without it is sent, the SDK's headers untouched", async () => {
    const sent: Headers[] = [];
    const headers = sdkHeaders({ "x-api-key": BROKERED_PLACEHOLDER });
    await sendWithKey(copying(sent), true, url, { headers }, "x-api-key", "sk-the-key");
    expect(sent[0]?.get("x-api-key")).toBe("sk-the-key");
    expect(sent[0]?.get("authorization")).toBeNull();
    expect(headers.get("x-api-key")).toBe(BROKERED_PLACEHOLDER);
  });

  it("an operator's fetch, which may read the headers later, gets a copy: the SDK's never hold the key", async () => {
    const headers = sdkHeaders();
    let later: RequestInit["headers"];
    const deferred = (async (_url: URL, init: RequestInit) => {
      await Promise.resolve();
      later = init.headers;
      return new Response("{}");
    }) as unknown as typeof globalThis.fetch;
    const sending = sendWithKey(deferred, false, url, { headers }, "authorization", key);
    expect(headers.get("authorization")).toBe(`Bearer ${BROKERED_PLACEHOLDER}`);
    await sending;
    expect(new Headers(later).get("authorization")).toBe(key);
    expect(headers.get("authorization")).toBe(`Bearer ${BROKERED_PLACEHOLDER}`);
  });
});
