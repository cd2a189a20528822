/**
 * Compare-and-set over HTTP: every route that changes an integration or a credential honours
 * `If-Match` — a stale ETag gets 412 and changes nothing, the current one lets the change through —
 * behind the node adapter and through Hono's `app.fetch`, driven with the typed client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredkitApiError, type CredkitClient, createClient } from "../../src/http/client.js";
import { createRouter } from "../../src/http/index.js";
import { providerKey, rejection } from "../connectors/support.js";
import { uniqueId } from "../support/fixtures.js";
import {
  as,
  memoryManager,
  openAIStandIn,
  type Served,
  serveHono,
  serveNode,
  testAuthenticate,
} from "./support.js";

const key = providerKey("sk-");
const next = providerKey("sk-");
const PREFIX = "/credkit";
const provider = openAIStandIn(key, [key, next]);

/** An integration change through the client, conditional on `ifRevision`. */
type IntegrationChange = (api: CredkitClient, id: string, ifRevision: number) => Promise<unknown>;

const INTEGRATION_CHANGES: ReadonlyArray<[string, IntegrationChange]> = [
  [
    "PATCH /integrations/{id}",
    (api, id, ifRevision) => api.integrations.update(id, { name: "Changed" }, { ifRevision }),
  ],
  [
    "POST /integrations/{id}/rotate",
    (api, id, ifRevision) => api.integrations.rotate(id, { credentials: { api_key: next } }, { ifRevision }),
  ],
  ["POST /integrations/{id}/test", (api, id, ifRevision) => api.integrations.test(id, { ifRevision })],
  ["POST /integrations/{id}/disable", (api, id, ifRevision) => api.integrations.disable(id, { ifRevision })],
  ["DELETE /integrations/{id}", (api, id, ifRevision) => api.integrations.delete(id, { ifRevision })],
];

async function status412(promise: Promise<unknown>): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(CredkitApiError);
  expect([(error as CredkitApiError).status, (error as CredkitApiError).code]).toEqual([
    412,
    "precondition_failed",
  ]);
}

describe.each([
  ["node:http adapter", serveNode],
  ["Hono app.fetch", serveHono],
] as const)("If-Match via %s", (_name, serve) => {
  let served: Served;
  const tenant = uniqueId("org");
  const client = () => createClient({ baseUrl: served.base, fetch: served.fetch, headers: as(tenant) });

  beforeAll(async () => {
    const router = createRouter({
      credentials: memoryManager(),
      authenticate: testAuthenticate,
      prefix: PREFIX,
      connectorOptions: { baseURL: `${provider().url}/v1`, maxRetries: 0 },
    });
    served = await serve(router, PREFIX);
  });
  afterAll(() => served.close());

  it.each(INTEGRATION_CHANGES)(
    "%s: a stale revision gets 412 and changes nothing; the current one passes",
    async (_route, change) => {
      const api = client();
      const id = uniqueId("int").replace(/[^A-Za-z0-9_.:-]/g, "-");
      await api.integrations.create({
        id,
        connector: "openai",
        name: "Original",
        credentials: { api_key: key },
      });
      const current = await api.integrations.update(id, { name: "Original" });
      const stale = current.revision - 1;
      const before = await api.integrations.credentials(id);
      await status412(change(api, id, stale));
      const after = await api.integrations.get(id);
      expect([after.revision, after.name, after.status]).toEqual([current.revision, "Original", "pending"]);
      expect(await api.integrations.credentials(id)).toEqual(before);
      await change(api, id, current.revision);
    },
  );

  it("DELETE /credentials/{id}: a stale version gets 412 and deletes nothing; the current one deletes", async () => {
    const api = client();
    await api.credentials.create({ id: "cas-delete", values: { token: key } });
    await api.credentials.replace("cas-delete", { values: { token: next } });
    await status412(api.credentials.delete("cas-delete", { ifVersion: 1 }));
    expect((await api.credentials.get("cas-delete")).version).toBe(2);
    await api.credentials.delete("cas-delete", { ifVersion: 2 });
    expect((await rejection(api.credentials.get("cas-delete"))) as CredkitApiError).toMatchObject({
      status: 404,
    });
  });

  it("PUT and PATCH /credentials/{id}: a stale version gets 412 and writes nothing", async () => {
    const api = client();
    await api.credentials.create({ id: "cas-write", values: { token: key } });
    await status412(api.credentials.replace("cas-write", { values: { token: next } }, { ifVersion: 0 }));
    await status412(api.credentials.update("cas-write", { values: { token: next } }, { ifVersion: 2 }));
    expect((await api.credentials.get("cas-write")).version).toBe(1);
  });

  it("POST /credentials/{id}/restore changes no value: it answers with an ETag and takes no If-Match", async () => {
    const api = client();
    await api.credentials.create({ id: "cas-restore", values: { token: key } });
    await api.credentials.delete("cas-restore");
    const response = await served.fetch(`${served.base}/credentials/cas-restore/restore`, {
      method: "POST",
      headers: { ...as(tenant), "if-match": '"v9"' },
    });
    expect([response.status, response.headers.get("etag")]).toEqual([200, '"v1"']);
  });
});
