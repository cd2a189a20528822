/**
 * credkit/ops: operations on top of the public API — the typed event stream and its publishers,
 * signed webhooks, the connection health monitor and credential alerts; fleet-wide cache
 * invalidation (`fleetInvalidation` over `postgresInvalidation` or `redisInvalidation`, and
 * `versionPolling` for stores with neither).
 */

export {
  AlertScheduler,
  type AlertSchedulerOptions,
  type AlertSchedulerStats,
  createAlertScheduler,
} from "./alert-scheduler.js";
export { type AlertPolicy, type CheckAlertsOptions, checkAlerts } from "./alerts.js";
export * from "./audit/index.js";
export {
  type ConnectionStatusEvent,
  type CredentialAlertEvent,
  type CredentialChangeEvent,
  type CredkitEvent,
  type CredkitEventType,
  createEventStream,
  type EventInput,
  type EventListener,
  type EventOf,
  EventStream,
  type EventStreamOptions,
  type RewrapProgressEvent,
} from "./events.js";
export { type AuditEventsOptions, auditEvents, rewrapEvents, statusEvents } from "./events-publishers.js";
export * from "./invalidation/index.js";
export {
  createHealthMonitor,
  HealthMonitor,
  type HealthMonitorOptions,
  type HealthMonitorStats,
} from "./monitor.js";
export {
  credentialStoreLeases,
  type LeaseClaim,
  type LeaseSchedule,
  type LeaseStore,
} from "./monitor-leases.js";
export type { RateLimit } from "./monitor-schedule.js";
export type { TenantSource } from "./monitor-tenants.js";
export {
  createWebhookSink,
  type DeliveryLogEntry,
  WebhookSink,
  type WebhookSinkOptions,
  type WebhookStats,
} from "./webhooks.js";
export {
  checkWebhookSecret,
  generateWebhookSecret,
  type StandardWebhooksModule,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaders,
  type WebhookPayload,
} from "./webhooks-signing.js";
