/**
 * `sameOriginCsrf`: the cross-site request forgery check of the admin page, usable as the
 * router's `csrf` option for any browser front end that authenticates with a cookie.
 *
 * A state-changing request sent by a browser passes only when the browser itself says it comes
 * from the same origin (`Sec-Fetch-Site: same-origin`, or else an `Origin` whose host is the
 * request's `Host` or one of `origins`) and it carries the custom header `X-Credkit-CSRF`. A page
 * on another site cannot forge either: browsers set `Sec-Fetch-Site` and `Origin` themselves, and
 * a cross-origin request with a custom header needs a CORS preflight that the router never
 * approves. A request with neither `Sec-Fetch-Site` nor `Origin` does not come from a browser
 * (every current browser sends one of them on a cross-site POST, PUT, PATCH or DELETE); it
 * carries no ambient cookie of a victim, so server-to-server callers (`X-API-Key`) pass unchanged.
 */
import type { Principal } from "./route.js";

/** The header the admin page's script sends on every state-changing request. */
export const CSRF_HEADER = "x-credkit-csrf";

/** Options of `sameOriginCsrf`. */
export interface SameOriginCsrfOptions {
  /**
   * Origins (e.g. `https://admin.example.com`) accepted besides the request's own `Host`: needed
   * when a proxy in front of the application rewrites `Host`.
   * @default []
   */
  origins?: readonly string[] | undefined;
}

/** A CSRF check for the router's `csrf` option: true lets the request through. */
export type CsrfCheck = (request: Request, principal: Principal) => boolean | Promise<boolean>;

function originOf(value: string): string | undefined {
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

/** The same-origin and custom-header check described above. */
export function sameOriginCsrf(options: SameOriginCsrfOptions = {}): CsrfCheck {
  const allowed = new Set(options.origins?.map((origin) => originOf(origin) ?? origin));
  return (request) => {
    const site = request.headers.get("sec-fetch-site");
    const origin = request.headers.get("origin");
    if (site === null && origin === null) return true;
    if (request.headers.get(CSRF_HEADER) === null) return false;
    // why: Sec-Fetch-Site is set by the browser and survives a proxy that rewrites Host.
    if (site !== null) return site === "same-origin";
    const parsed = originOf(origin as string);
    if (parsed === undefined) return false;
    return allowed.has(parsed) || new URL(parsed).host === request.headers.get("host");
  };
}
