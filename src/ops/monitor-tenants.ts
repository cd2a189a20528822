/** The tenants the monitor and the alerts look at: a fixed list, or one read again each time. */

/** A list of tenant ids, or a function returning one (e.g. from the application's own database). */
export type TenantSource = readonly string[] | (() => Iterable<string> | Promise<Iterable<string>>);

/** The tenant ids of `source`, each once. */
export async function tenantsOf(source: TenantSource): Promise<string[]> {
  const listed = typeof source === "function" ? await source() : source;
  return [...new Set(listed)];
}
