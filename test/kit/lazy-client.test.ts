/**
 * `lazyClient`, the KMS providers' shared SDK client: built once on first use, a failed build
 * tried again, a built client released on close and a caller's client left alone; and the
 * providers refuse a client given together with client settings.
 */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/core/errors.js";
import { awsKmsKeyProvider } from "../../src/keys/aws-kms/index.js";
import { gcpKmsKeyProvider } from "../../src/keys/gcp-kms/index.js";
import { lazyClient } from "../../src/kit/lazy-client.js";

describe("lazyClient", () => {
  it("builds once for concurrent callers, and builds anew after a failed build", async () => {
    let builds = 0;
    const client = lazyClient(async () => {
      builds += 1;
      if (builds === 1) throw new Error("module missing");
      return { id: builds };
    });
    await expect(client.get()).rejects.toThrow("module missing");
    const [a, b] = await Promise.all([client.get(), client.get()]);
    expect(a).toEqual({ id: 2 });
    expect(b).toBe(a);
    expect(builds).toBe(2);
  });

  it("releases the built client on close and builds a new one on the next get", async () => {
    const released: number[] = [];
    let builds = 0;
    const client = lazyClient(
      async () => ({ id: ++builds }),
      (built) => {
        released.push(built.id);
      },
    );
    await client.close();
    expect(released).toEqual([]);
    await client.get();
    await client.close();
    expect(released).toEqual([1]);
    expect(await client.get()).toEqual({ id: 2 });
  });
});

describe("KMS providers' client options", () => {
  it("refuse an existing client together with client settings", () => {
    const both = { client: {}, clientOptions: { region: "eu-west-1" } } as never;
    expect(() => awsKmsKeyProvider({ keyId: "alias/credkit", ...(both as object) } as never)).toThrow(
      ConfigurationError,
    );
    expect(() =>
      gcpKmsKeyProvider({
        keyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k",
        ...(both as object),
      } as never),
    ).toThrow(ConfigurationError);
  });
});
