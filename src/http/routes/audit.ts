/**
 * The tenant's recent audit events (from the credential manager's in-memory ring): who did what
 * to which credential, and how it ended. Events carry names, versions and error codes, never a value.
 */
import { z } from "zod";
import type { AuditEvent } from "../../core/audit.js";
import { type Route, route } from "../route.js";
import { type AuditEventData, AuditList } from "../schemas.js";

/** Events answered when the query names no `limit`. */
const DEFAULT_LIMIT = 100;

const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });

function auditView(event: AuditEvent): AuditEventData {
  return {
    time: new Date(event.time).toISOString(),
    action: event.action,
    outcome: event.outcome,
    accessor: event.accessor,
    ...(event.name !== undefined ? { name: event.name } : {}),
    ...(event.version !== undefined ? { version: event.version } : {}),
    ...(event.cache !== undefined ? { cache: event.cache } : {}),
    ...(event.errorCode !== undefined ? { errorCode: event.errorCode } : {}),
    ...(event.call !== undefined ? { call: { ...event.call } } : {}),
  };
}

export const auditRoutes: readonly Route[] = [
  route({
    operationId: "listAuditEvents",
    method: "GET",
    path: "/audit",
    tag: "audit",
    summary: "The tenant's recent audit events, newest first (this process's in-memory ring)",
    query: AuditQuery,
    success: { status: 200, schema: AuditList, description: "The newest events, at most `limit`" },
    errors: [400],
    handle({ api, query }) {
      const events = api
        .auditEvents()
        .reverse()
        .slice(0, query.limit ?? DEFAULT_LIMIT);
      return { body: { events: events.map(auditView) } };
    },
  }),
];
