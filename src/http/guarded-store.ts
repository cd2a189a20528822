/**
 * A `ConnectionStore` view for one conditional request (`If-Match: "i7"`): the first record read
 * must be at revision 7 (412 otherwise), and the first write must expect revision 7, so the
 * store's own compare-and-set refuses it if anyone wrote in between.
 */
import type { ConnectionStore } from "../connectors/connection-store.js";
import { ConflictError } from "../core/errors.js";
import { preconditionFailed } from "./etag.js";

export function guardRevision(store: ConnectionStore, revision: number): ConnectionStore {
  let read = false;
  let written = false;
  return {
    async get(tenantId, id) {
      const record = await store.get(tenantId, id);
      if (!read && record) {
        read = true;
        if (record.revision !== revision) throw preconditionFailed();
      }
      return record;
    },
    list: (tenantId, options) => store.list(tenantId, options),
    async put(record, expectedRevision) {
      if (!written && expectedRevision !== revision) {
        throw new ConflictError(`Connection "${record.id}" is not at revision ${revision}.`, revision);
      }
      await store.put(record, expectedRevision);
      written = true;
    },
    delete: (tenantId, id) => store.delete(tenantId, id),
  };
}
