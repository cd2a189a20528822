/**
 * credkit/http: the HTTP API as a router on web-standard `Request` → `Response`, a `node:http`
 * adapter, the built-in `X-API-Key` authentication and the OpenAPI document.
 */
export { ADMIN_CSP, type AdminPageOptions, adminPage } from "./admin/page.js";
export { type Alias, COMPATIBILITY_ALIASES } from "./aliases.js";
export {
  type ApiKeyAuthenticationOptions,
  type ApiKeyEntry,
  apiKeyAuthentication,
  generateApiKey,
  hashApiKey,
} from "./api-key.js";
export { type Authenticate, type AuthOutcome, type Refusal, refuse } from "./auth.js";
export { DEFAULT_MAX_BODY_BYTES } from "./body.js";
export { CSRF_HEADER, type CsrfCheck, type SameOriginCsrfOptions, sameOriginCsrf } from "./csrf.js";
export { type FetchHandler, type NodeHandler, toNodeHandler, toWebRequest } from "./node.js";
export type { OpenApiDocument, OpenApiOperation } from "./openapi.js";
export { PROBLEM_STATUS, type Problem, type ProblemCode } from "./problem.js";
export type { Method, Principal } from "./route.js";
export { createRouter, type Mount, type MountContext, type Router, type RouterOptions } from "./router.js";
