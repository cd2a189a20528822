/**
 * RedactingStream: a secret, or any encoding of it the scrubber knows, written across two or
 * three pieces split anywhere (bytes of a multi-byte character included) never comes out.
 */
import { expect, it } from "vitest";
import { encodedForms, Redactor } from "../../src/core/redact.js";
import { RedactingStream } from "../../src/core/redact-stream.js";

const SECRET = 'sk-live/é+9Qx= Zt"w';
const redactor = new Redactor([SECRET]);

function through(pieces: readonly Buffer[]): string {
  let out = "";
  const stream = new RedactingStream(redactor, [SECRET], (text) => {
    out += text;
  });
  for (const piece of pieces) stream.push(piece);
  stream.end();
  return out;
}

it("every encoding split at every byte position (and at two) is redacted; other text passes", () => {
  for (const form of encodedForms(SECRET)) {
    const bytes = Buffer.from(`before ${form} after\n`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const out = through([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(redactor.carries(out), `${form} cut at ${cut}`).toBe(false);
      expect(out.startsWith("before ")).toBe(true);
      expect(out.endsWith(" after\n")).toBe(true);
      const second = Math.min(bytes.length - 1, cut + 3);
      const three = through([bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)]);
      expect(redactor.carries(three), `${form} cut at ${cut} and ${second}`).toBe(false);
    }
  }
});

it("text that only looks like the start of a secret is held back until the stream decides", () => {
  const out: string[] = [];
  const stream = new RedactingStream(redactor, [SECRET], (text) => out.push(text));
  stream.push("prompt: sk-li");
  expect(out.join("")).toBe("prompt: ");
  stream.push("ght\n");
  expect(out.join("")).toBe("prompt: sk-light\n");
});
