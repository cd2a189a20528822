/**
 * Drives the Next.js route handler example as Next.js would: imports the route file and calls its
 * exported method handlers with web-standard Requests, printing each status.
 */
import * as route from "../../examples/http-next-route.js";

const base = "http://localhost/api/credkit";
const session = { "x-tenant-id": "acme" };
const catalog = await route.GET(new Request(`${base}/connectors`, { headers: session }));
const created = await route.POST(
  new Request(`${base}/credentials`, {
    method: "POST",
    headers: { ...session, "content-type": "application/json", origin: "http://localhost" },
    body: JSON.stringify({ id: "next-demo", values: { apiKey: "sk-next-demo-not-a-real-key-0000" } }),
  }),
);
const crossSite = await route.DELETE(
  new Request(`${base}/credentials/next-demo`, {
    method: "DELETE",
    headers: { ...session, origin: "https://evil.example" },
  }),
);
const anonymous = await route.GET(new Request(`${base}/integrations`));
const listed = await route.GET(new Request(`${base}/credentials`, { headers: session }));
console.log(
  JSON.stringify({
    catalog: catalog.status,
    created: created.status,
    crossSite: crossSite.status,
    anonymous: anonymous.status,
    listed: listed.status,
    body: await listed.text(),
  }),
);
