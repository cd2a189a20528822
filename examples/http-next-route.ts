/**
 * A Next.js App Router route handler serving the credkit HTTP API. Save it as
 * `app/api/credkit/[...path]/route.ts`; the router answers every method under /api/credkit.
 * Route handlers take and return web-standard Request/Response, so no adapter is needed.
 */

import { createCredentialManager } from "credkit";
import { createRouter } from "credkit/http";

const credentials = await createCredentialManager();

const router = createRouter({
  credentials,
  prefix: "/api/credkit",
  // Read your session (cookie or bearer token) here and return the tenant and actor.
  authenticate: async (request) => {
    const tenantId = request.headers.get("x-tenant-id");
    return tenantId ? { tenantId, actor: "session-user" } : null;
  },
  // Cookie sessions: refuse cross-site writes.
  csrf: (request) => request.headers.get("origin") === new URL(request.url).origin,
});

const handle = (request: Request) => router.fetch(request);

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
/** The file store needs Node (not the Edge runtime). */
export const runtime = "nodejs";
