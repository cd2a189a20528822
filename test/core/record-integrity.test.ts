import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fileBackend } from "../../src/backends/file/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ExpiredError, IntegrityError } from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { keyring } from "../support/fixtures.js";
import { putFormat1 } from "../support/legacy-envelope.js";

const TENANT = "tenant-1";

function versionPath(directory: string, name: string, version: number): string {
  const key = encodeKey(TENANT, name, 200);
  return join(
    directory,
    "records",
    key.tenantSegment,
    key.connectionSegment,
    `v${String(version).padStart(10, "0")}.json`,
  );
}

async function outcome(read: Promise<{ apiKey?: { reveal(): string } }>): Promise<unknown> {
  return read.then(
    (fields) => fields.apiKey?.reveal(),
    (error: unknown) => error,
  );
}

describe("issue 13 item 2: the version number and metadata are authenticated", () => {
  let directory: string;
  let manager: CredentialManager;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "credkit-integrity-"));
    manager = new CredentialManager({
      backend: fileBackend({ directory }),
      encryption: keyring(),
      cache: false,
    });
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const editMetadata = async (
    name: string,
    version: number,
    edit: (metadata: Record<string, unknown>) => void,
  ) => {
    const path = versionPath(directory, name, version);
    const stored = JSON.parse(await readFile(path, "utf8")) as { metadata: Record<string, unknown> };
    edit(stored.metadata);
    await writeFile(path, JSON.stringify(stored));
  };

  it("issue 13 item 2: an older version's file copied over the latest fails as IntegrityError instead of serving the old key", async () => {
    await manager.storeCredentials("openai", TENANT, { apiKey: "old-revoked-key-0001" });
    await manager.rotateCredentials("openai", TENANT, { apiKey: "new-current-key-0002" });
    await copyFile(versionPath(directory, "openai", 1), versionPath(directory, "openai", 2));
    expect(IntegrityError.isInstance(await outcome(manager.getCredentials("openai", TENANT)))).toBe(true);
    const pinned = await outcome(manager.getCredentials("openai", TENANT, { version: 2 }));
    expect(IntegrityError.isInstance(pinned)).toBe(true);
    expect(await outcome(manager.getCredentials("openai", TENANT, { version: 1 }))).toBe(
      "old-revoked-key-0001",
    );
  });

  it("issue 13 item 2: removing or moving an expiry, changing the type, createdAt or key id fails as IntegrityError", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const edits: Record<string, (metadata: Record<string, unknown>) => void> = {
      "removed expiresAt": (metadata) => {
        delete metadata.expiresAt;
      },
      "later expiresAt": (metadata) => {
        metadata.expiresAt = "2999-01-01T00:00:00.000Z";
      },
      "changed type": (metadata) => {
        metadata.type = "custom";
      },
      "changed createdAt": (metadata) => {
        metadata.createdAt = "2020-01-01T00:00:00.000Z";
      },
      "changed keyId": (metadata) => {
        metadata.keyId = "k00000000";
      },
    };
    for (const [label, edit] of Object.entries(edits)) {
      const name = label.replace(/\s/g, "-");
      await manager.storeCredentials(
        name,
        TENANT,
        { apiKey: "expired-key-value-01" },
        { type: "api_key", expiresAt: past },
      );
      expect(ExpiredError.isInstance(await outcome(manager.getCredentials(name, TENANT))), label).toBe(true);
      await editMetadata(name, 1, edit);
      const error = await outcome(manager.getCredentials(name, TENANT, { allowExpired: true }));
      expect(IntegrityError.isInstance(error), label).toBe(true);
    }
  });

  it("issue 13 item 2: masked forms, fingerprints and updatedAt are not bound (cosmetic): editing them changes no read", async () => {
    await manager.storeCredentials("c", TENANT, { apiKey: "cosmetic-value-000001" });
    await editMetadata("c", 1, (metadata) => {
      metadata.masked = { apiKey: "***edited" };
      metadata.fingerprints = { apiKey: "00000000" };
      metadata.updatedAt = "2021-01-01T00:00:00.000Z";
    });
    expect(await outcome(manager.getCredentials("c", TENANT))).toBe("cosmetic-value-000001");
  });

  it("issue 13 item 2: records sealed in envelope format 1 stay readable", async () => {
    const ring = keyring();
    const backend = fileBackend({ directory });
    await putFormat1(backend, ring, TENANT, "legacy", { apiKey: "legacy-format-value-1" });
    const reader = new CredentialManager({ backend, encryption: ring, cache: false });
    expect(await outcome(reader.getCredentials("legacy", TENANT))).toBe("legacy-format-value-1");
  });
});

const METADATA_FIELDS = [
  "tenant",
  "name",
  "type",
  "fingerprints",
  "masked",
  "keyId",
  "createdAt",
  "updatedAt",
  "createdBy",
  "expiresAt",
] as const;

const tamperArbitrary = fc.oneof(
  fc.record({
    kind: fc.constant("file byte" as const),
    version: fc.integer({ min: 1, max: 3 }),
    position: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant("payload byte" as const),
    version: fc.integer({ min: 1, max: 3 }),
    position: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant("version slot" as const),
    from: fc.integer({ min: 1, max: 3 }),
    to: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant("metadata field" as const),
    version: fc.integer({ min: 1, max: 3 }),
    field: fc.constantFrom(...METADATA_FIELDS),
    replacement: fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 30 }),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.integer(),
      fc.constant(null),
      fc.constantFrom("api_key", "custom", "bearer_token", TENANT, "credential"),
    ),
  }),
);

describe("issue 13 item 2 (property): tampering with the file store", () => {
  let directory: string;
  let manager: CredentialManager;
  const values = ["", "first-stored-value-0001", "second-stored-value-002", "third-stored-value-0003"];
  const expiresAt = "2999-06-01T00:00:00.000Z";

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "credkit-tamper-"));
    manager = new CredentialManager({
      backend: fileBackend({ directory }),
      encryption: keyring(),
      cache: false,
    });
    for (const value of values.slice(1)) {
      await manager.storeCredentials(
        "credential",
        TENANT,
        { apiKey: value },
        { type: "api_key", expiresAt, actor: "a" },
      );
    }
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("issue 13 item 2: random tampering of any stored byte, version slot or metadata field reads as the correct value or IntegrityError", async () => {
    const paths = [1, 2, 3].map((version) => versionPath(directory, "credential", version));
    const originals = await Promise.all(paths.map((path) => readFile(path)));
    await fc.assert(
      fc.asyncProperty(tamperArbitrary, async (tamper) => {
        try {
          await applyTamper(tamper, paths, originals);
          for (const version of [undefined, 1, 2, 3]) {
            const read = await outcome(
              manager.getCredentials("credential", TENANT, version ? { version } : {}),
            );
            const expected = values[version ?? 3];
            if (read !== expected)
              expect(IntegrityError.isInstance(read), `${JSON.stringify(tamper)} v${version}`).toBe(true);
          }
        } finally {
          await Promise.all(paths.map((path, index) => writeFile(path, originals[index] as Buffer)));
        }
      }),
      { numRuns: 150 },
    );
  });
});

type Tamper = typeof tamperArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function applyTamper(tamper: Tamper, paths: string[], originals: Buffer[]): Promise<void> {
  if (tamper.kind === "version slot") {
    await writeFile(paths[tamper.to - 1] as string, originals[tamper.from - 1] as Buffer);
    return;
  }
  const original = originals[tamper.version - 1] as Buffer;
  const path = paths[tamper.version - 1] as string;
  if (tamper.kind === "file byte") {
    const bytes = Buffer.from(original);
    const at = tamper.position % bytes.length;
    bytes[at] = (bytes[at] as number) ^ tamper.xor;
    await writeFile(path, bytes);
    return;
  }
  const stored = JSON.parse(original.toString("utf8")) as {
    value: string;
    metadata: Record<string, unknown>;
  };
  if (tamper.kind === "payload byte") {
    const bytes = Buffer.from(stored.value, "base64");
    const at = tamper.position % bytes.length;
    bytes[at] = (bytes[at] as number) ^ tamper.xor;
    stored.value = bytes.toString("base64");
  } else if (tamper.replacement === undefined) {
    delete stored.metadata[tamper.field];
  } else {
    stored.metadata[tamper.field] = tamper.replacement;
  }
  await writeFile(path, JSON.stringify(stored));
}
