/**
 * `adminPage`: the admin UI as a router mount. It serves three prebuilt files (one HTML page, one
 * JavaScript module, one style sheet) from `assets.generated.ts`, so it needs no file system, no
 * build step and no framework: it runs wherever the router runs. Every answer carries a strict
 * Content-Security-Policy (no inline script or style, nothing from another origin, no framing);
 * the page's script calls the router's own API with the caller's session, and the mount brings
 * `sameOriginCsrf` for every state-changing request the router serves.
 */
import { type CsrfCheck, type SameOriginCsrfOptions, sameOriginCsrf } from "../csrf.js";
import { HttpProblem, problemResponse, toProblem } from "../problem.js";
import type { Mount } from "../router.js";
import { ADMIN_ASSETS, type AdminAsset } from "./assets.generated.js";

/** Options of `adminPage`. */
export interface AdminPageOptions {
  /** Where the page is served below the router's prefix. @default "/admin" */
  path?: string | undefined;
  /**
   * Origins accepted by the CSRF check besides the request's own `Host` (when a proxy rewrites
   * `Host`), e.g. `["https://admin.example.com"]`. @default []
   */
  origins?: SameOriginCsrfOptions["origins"] | undefined;
  /**
   * The CSRF check applied to every POST, PUT, PATCH and DELETE the router serves.
   * @default sameOriginCsrf({ origins })
   */
  csrf?: CsrfCheck | undefined;
}

/** The Content-Security-Policy of every admin answer: own-origin files only, no inline code, no framing. */
export const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every admin answer. */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": ADMIN_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  '"': "&quot;",
  "<": "&lt;",
  ">": "&gt;",
  "'": "&#39;",
};

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>']/g, (character) => HTML_ESCAPES[character] ?? character);
}

function failure(error: HttpProblem): Response {
  const { problem, headers } = toProblem(error);
  return problemResponse(problem, { ...headers, ...ADMIN_HEADERS });
}

function answer(request: Request, asset: AdminAsset, body: string): Response {
  const headers: Record<string, string> = { ...ADMIN_HEADERS, "content-type": asset.type };
  if (asset.name === "index.html") {
    headers["cache-control"] = "no-store";
  } else {
    // why: the files change only with the package; revalidate by hash instead of re-sending.
    headers["cache-control"] = "no-cache";
    headers.etag = `"${asset.hash}"`;
    if (request.headers.get("if-none-match") === headers.etag)
      return new Response(null, { status: 304, headers });
  }
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
}

/** The admin page, to pass in the router's `mounts`. */
export function adminPage(options: AdminPageOptions = {}): Mount {
  const path = (options.path ?? "/admin").replace(/\/+$/, "");
  if (!path.startsWith("/")) throw new TypeError("adminPage path must start with '/'.");
  const csrf = options.csrf ?? sameOriginCsrf(options.origins ? { origins: options.origins } : {});
  return {
    path,
    csrf,
    fetch(request, context) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return failure(
          new HttpProblem("method_not_allowed", "This path answers GET, HEAD.", {
            headers: { allow: "GET, HEAD" },
          }),
        );
      }
      // `context.path` has no empty segments: `/admin` and `/admin/` both arrive as `/admin`.
      const rest = context.path.slice(path.length);
      if (rest === "" && !new URL(request.url).pathname.endsWith("/")) {
        const home = `${context.prefix}${path}/`;
        return new Response(null, { status: 308, headers: { ...ADMIN_HEADERS, location: home } });
      }
      const name = rest === "" ? "index.html" : rest.slice(1);
      const asset = Object.hasOwn(ADMIN_ASSETS, name) ? ADMIN_ASSETS[name] : undefined;
      if (!asset) return failure(new HttpProblem("route_not_found", "No admin file at this path."));
      const body =
        asset.name === "index.html"
          ? asset.body.replace("{{apiBase}}", escapeAttribute(context.prefix))
          : asset.body;
      return answer(request, asset, body);
    },
  };
}
