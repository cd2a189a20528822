/** An in-memory `ConnectionStore`: for development and tests, chosen explicitly; lost on exit. */
import { ConflictError } from "../../core/errors.js";
import type { ConnectionRecord, ConnectionStore } from "../connection-store.js";
import { compareIds, decodeCursor, encodeCursor, pageLimit } from "./paging.js";

/** An in-memory `ConnectionStore`: for development and tests; records are lost on exit. */
export function memoryConnectionStore(): ConnectionStore {
  const tenants = new Map<string, Map<string, ConnectionRecord>>();
  return {
    async get(tenantId, id) {
      const record = tenants.get(tenantId)?.get(id);
      return record && structuredClone(record);
    },
    async list(tenantId, options) {
      const limit = pageLimit(options);
      const after = decodeCursor(options);
      const ids = [...(tenants.get(tenantId)?.keys() ?? [])]
        .filter((id) => after === undefined || compareIds(id, after) > 0)
        .sort(compareIds);
      const records = tenants.get(tenantId);
      const items = ids.slice(0, limit).map((id) => structuredClone(records?.get(id) as ConnectionRecord));
      const last = items.at(-1);
      return ids.length > limit && last ? { items, cursor: encodeCursor(last.id) } : { items };
    },
    async put(record, expectedRevision) {
      const records = tenants.get(record.tenantId) ?? new Map<string, ConnectionRecord>();
      tenants.set(record.tenantId, records);
      const current = records.get(record.id)?.revision ?? 0;
      if (current !== expectedRevision) {
        throw new ConflictError(
          `Connection "${record.id}" is at revision ${current}, not ${expectedRevision}.`,
          expectedRevision,
        );
      }
      records.set(record.id, structuredClone(record));
    },
    async delete(tenantId, id) {
      return tenants.get(tenantId)?.delete(id) ?? false;
    },
  };
}
