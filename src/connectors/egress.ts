/**
 * The egress guard: requests to URLs that come from data a tenant can write (a connection's
 * `baseURL`, a stored credential) never reach loopback, link-local (cloud metadata), private,
 * unique-local or other special-purpose addresses. The check runs on the resolved address at
 * connect time, for every connection a request opens (each redirect hop, each new DNS answer),
 * and the socket is opened to exactly the address that was checked, so a DNS answer that
 * changes between check and connect cannot slip through. Addresses are classified with
 * `ipaddr.js`; only global unicast passes unless the operator allows a host or a range.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { EgressBlockedError } from "../core/errors.js";

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has. @default `dns.lookup` with `all: true` */
export type EgressLookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/**
 * The operator's egress policy for URLs from tenant data (URLs passed in code, e.g.
 * `connectorOptions.baseURL`, are trusted and not checked).
 */
export interface EgressOptions {
  /**
   * Host names that may resolve anywhere, e.g. an internal gateway: exact names
   * (`llm.internal.example`) or a suffix with a leading `*.` (`*.internal.example`).
   */
  readonly allowHosts?: readonly string[] | undefined;
  /**
   * Address ranges that may be reached although private, in CIDR notation (`10.20.0.0/16`,
   * `fd00:1::/64`) or single addresses (`10.20.0.7`).
   */
  readonly allowRanges?: readonly string[] | undefined;
  /** The resolver the guard uses (for custom DNS, and for tests). @default `dns.lookup` */
  readonly lookup?: EgressLookup | undefined;
}

const defaultLookup: EgressLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function unbracket(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** Parses an address, unwrapping IPv4-mapped IPv6 (`::ffff:127.0.0.1`); undefined when not one. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const plain = unbracket(address).replace(/%.*$/, "");
  return ipaddr.isValid(plain) ? ipaddr.process(plain) : undefined;
}

function parseRange(range: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (ipaddr.isValidCIDR(range)) {
    const [address, bits] = ipaddr.parseCIDR(range);
    return address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()
      ? [(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)]
      : [address, bits];
  }
  const address = parseAddress(range);
  if (!address) throw new TypeError(`egress.allowRanges: an entry is not an address or a CIDR range.`);
  return [address, address.kind() === "ipv4" ? 32 : 128];
}

/** The decision for one address or host, made once per connection. */
export class EgressPolicy {
  readonly #hosts: readonly string[];
  readonly #ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  readonly #lookup: EgressLookup;

  constructor(options: EgressOptions = {}) {
    this.#hosts = (options.allowHosts ?? []).map((host) => unbracket(host.toLowerCase()));
    this.#ranges = (options.allowRanges ?? []).map(parseRange);
    this.#lookup = options.lookup ?? defaultLookup;
  }

  /** Whether the operator allowed this host name whatever it resolves to. */
  hostAllowed(hostname: string): boolean {
    const host = unbracket(hostname.toLowerCase()).replace(/\.$/, "");
    return this.#hosts.some((allowed) =>
      allowed.startsWith("*.") ? host.endsWith(allowed.slice(1)) : host === allowed,
    );
  }

  /**
   * Whether a connection may go to `address`: global unicast, or inside a range the operator
   * allowed. Anything that does not parse as an address is refused.
   */
  addressAllowed(address: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    if (parsed.range() === "unicast") return true;
    return this.#ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
  }

  /**
   * The address to open a socket to for `hostname`: the host itself when it is an address, else
   * the first allowed address of its DNS answer. `EgressBlockedError` when none is allowed.
   */
  async resolve(hostname: string): Promise<string> {
    const host = unbracket(hostname);
    if (parseAddress(host)) {
      if (this.hostAllowed(host) || this.addressAllowed(host)) return host;
      throw blocked(host);
    }
    const answers = await this.#lookup(host);
    if (this.hostAllowed(host) && answers[0]) return answers[0].address;
    const allowed = answers.find((answer) => this.addressAllowed(answer.address));
    if (!allowed) throw blocked(host);
    return allowed.address;
  }

  /** Checks a URL before a request is made; the connect-time check still applies to every hop. */
  async check(url: string | URL): Promise<void> {
    const { hostname, protocol } = new URL(url);
    if (protocol !== "http:" && protocol !== "https:") throw blocked(hostname || protocol);
    await this.resolve(hostname);
  }
}

function blocked(host: string): EgressBlockedError {
  return new EgressBlockedError(
    `Requests to host "${host}" are blocked: URLs from connection data may not reach loopback, link-local, private or unique-local addresses. An operator can allow the host or range with the connector option \`egress\` (allowHosts, allowRanges).`,
  );
}

/** A `fetch` whose every connection goes through the policy; `close()` releases its sockets. */
export interface GuardedFetch {
  fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

/**
 * A `fetch` (undici's, with its own dispatcher) that opens each socket only to an address the
 * policy allows. Redirects followed by this fetch open new connections and are checked the same.
 */
export async function guardedFetch(policy: EgressPolicy): Promise<GuardedFetch> {
  const undici = await import("undici");
  const direct = undici.buildConnector({});
  const agent = new undici.Agent({
    connect: (options, callback) => {
      policy.resolve(options.hostname).then(
        (address) => direct({ ...options, hostname: address }, callback),
        (error: Error) => callback(error, null),
      );
    },
  });
  const fetch = ((input: string | URL, init?: RequestInit) =>
    undici.fetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch, close: () => agent.close() };
}
