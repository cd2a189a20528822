/** An in-memory `ConnectionStore`: for development and tests, chosen explicitly; lost on exit. */

import { deepFreeze } from "../../core/deep-freeze.js";
import { ConflictError } from "../../core/errors.js";
import { pageByKey } from "../../core/list-paging.js";
import type { ConnectionRecord, ConnectionStore } from "../connection-store.js";
import { compareIds, decodeCursor, encodeCursor, pageLimit } from "./paging.js";

/** An in-memory `ConnectionStore`: for development and tests; records are lost on exit. */
export function memoryConnectionStore(): ConnectionStore {
  const tenants = new Map<string, Map<string, ConnectionRecord>>();
  return {
    async get(tenantId, id) {
      const record = tenants.get(tenantId)?.get(id);
      return record;
    },
    async list(tenantId, options = {}) {
      const limit = pageLimit(options);
      const after = decodeCursor(options);
      const sorted = [...(tenants.get(tenantId)?.entries() ?? [])].sort(([a], [b]) => compareIds(a, b));
      const page = pageByKey(sorted, after, limit);
      const items = page.items;
      return page.cursor !== undefined ? { items, cursor: encodeCursor(page.cursor) } : { items };
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
      // why: stored frozen, so reads hand out the record itself: nothing a caller holds can change it.
      records.set(record.id, deepFreeze(structuredClone(record)));
    },
    async delete(tenantId, id) {
      return tenants.get(tenantId)?.delete(id) ?? false;
    },
  };
}
