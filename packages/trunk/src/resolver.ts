import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { CarrierResolutionError } from "./errors.js";

export type SipTransport = "UDP" | "TCP" | "TLS";

/** One place to send a request: what RFC 3263 resolution yields, in the order to try. */
export interface SipTarget {
  readonly transport: SipTransport;
  readonly address: string;
  readonly port: number;
}

export interface SipResolverOptions {
  /** DNS servers ("127.0.0.1:5353", "[::1]:53"); default the system's. */
  readonly servers?: readonly string[];
  /** Per-query timeout (ms) and tries, passed to node's resolver. */
  readonly timeoutMs?: number;
  readonly tries?: number;
  /** How long a resolution is reused (ms): node does not give SRV/NAPTR TTLs. Default 30 s. */
  readonly cacheMs?: number;
  readonly clock?: () => number;
}

export interface ResolveOptions {
  readonly transport: SipTransport;
  /** An explicit port: RFC 3263 §4.2 then skips NAPTR and SRV and only looks up addresses. */
  readonly port?: number | undefined;
}

const NAPTR_SERVICE: Record<SipTransport, string> = {
  UDP: "SIP+D2U",
  TCP: "SIP+D2T",
  TLS: "SIPS+D2T",
};
const SRV_PREFIX: Record<SipTransport, string> = { UDP: "_sip._udp.", TCP: "_sip._tcp.", TLS: "_sips._tcp." };

export function defaultPort(transport: SipTransport): number {
  return transport === "TLS" ? 5061 : 5060;
}

/** True for a bare IPv4/IPv6 literal (IPv6 with or without brackets). */
export function isIpLiteral(host: string): boolean {
  return isIP(unbracket(host)) !== 0;
}

export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

interface CacheEntry {
  readonly expires: number;
  readonly targets: readonly SipTarget[];
}

/**
 * RFC 3263 §4 server location for a carrier: NAPTR (for the configured transport) → SRV
 * (priority, then RFC 2782 weighted order) → A/AAAA; an explicit port skips to A/AAAA and a
 * literal address skips DNS. The result lists every address to try, in order: the caller fails
 * over down the list (§4.3).
 */
export class SipResolver {
  readonly #dns: Resolver;
  readonly #cacheMs: number;
  readonly #clock: () => number;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(opts: SipResolverOptions = {}) {
    this.#dns = new Resolver({ timeout: opts.timeoutMs ?? 2_000, tries: opts.tries ?? 2 });
    if (opts.servers !== undefined && opts.servers.length > 0) this.#dns.setServers([...opts.servers]);
    this.#cacheMs = opts.cacheMs ?? 30_000;
    this.#clock = opts.clock ?? Date.now;
  }

  /** Points the resolver at other DNS servers; cached answers are dropped. */
  setServers(servers: readonly string[]): void {
    this.#dns.setServers([...servers]);
    this.#cache.clear();
  }

  clearCache(): void {
    this.#cache.clear();
  }

  /** The targets for `host`, in order. Throws `CarrierResolutionError` when there is none. */
  async resolve(host: string, opts: ResolveOptions): Promise<SipTarget[]> {
    const transport = opts.transport;
    if (isIpLiteral(host)) {
      return [{ transport, address: unbracket(host), port: opts.port ?? defaultPort(transport) }];
    }
    const name = host.toLowerCase().replace(/\.$/, "");
    const key = `${transport} ${name} ${opts.port ?? ""}`;
    const now = this.#clock();
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.expires > now) return [...hit.targets];
    let targets: SipTarget[];
    try {
      targets =
        opts.port !== undefined
          ? await this.#addresses(name, opts.port, transport)
          : await this.#locate(name, transport);
    } catch (err) {
      throw new CarrierResolutionError(host, err);
    }
    if (targets.length === 0) throw new CarrierResolutionError(host);
    this.#cache.set(key, { expires: now + this.#cacheMs, targets });
    return [...targets];
  }

  /** Every address `host` last resolved to (any transport), for source checks; empty if never resolved. */
  knownAddresses(host: string): string[] {
    const name = host.toLowerCase().replace(/\.$/, "");
    const out = new Set<string>();
    for (const [key, entry] of this.#cache) {
      if (key.split(" ")[1] !== name) continue;
      for (const t of entry.targets) out.add(t.address);
    }
    return [...out];
  }

  async #locate(name: string, transport: SipTransport): Promise<SipTarget[]> {
    const srvName = await this.#naptr(name, transport);
    const srv = await this.#srv(srvName ?? SRV_PREFIX[transport] + name);
    if (srv.length === 0) {
      // §4.2: a NAPTR that led nowhere, or no SRV at all: the name's own addresses, default port.
      return this.#addresses(name, defaultPort(transport), transport);
    }
    const out: SipTarget[] = [];
    for (const r of orderSrv(srv)) {
      try {
        out.push(...(await this.#addresses(r.name, r.port, transport)));
      } catch {
        // A target without addresses is skipped: the next one is the failover (§4.3).
      }
    }
    return out;
  }

  /** The SRV name the best NAPTR for `transport` points at, or undefined (no NAPTR, or none for it). */
  async #naptr(name: string, transport: SipTransport): Promise<string | undefined> {
    const records = await nothingOnMissing(this.#dns.resolveNaptr(name));
    const wanted = NAPTR_SERVICE[transport];
    let best: (typeof records)[number] | undefined;
    for (const r of records) {
      if (r.flags.toLowerCase() !== "s" || r.service.toUpperCase() !== wanted) continue;
      if (
        best === undefined ||
        r.order < best.order ||
        (r.order === best.order && r.preference < best.preference)
      )
        best = r;
    }
    return best?.replacement.replace(/\.$/, "");
  }

  async #srv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]> {
    const records = await nothingOnMissing(this.#dns.resolveSrv(name));
    // RFC 2782: a single "." target means the service is decidedly not available.
    return records.filter((r) => r.name !== "" && r.name !== ".");
  }

  async #addresses(name: string, port: number, transport: SipTransport): Promise<SipTarget[]> {
    if (isIpLiteral(name)) return [{ transport, address: unbracket(name), port }];
    const [v4, v6] = await Promise.all([
      nothingOnMissing(this.#dns.resolve4(name)),
      nothingOnMissing(this.#dns.resolve6(name)),
    ]);
    return [...v4, ...v6].map((address) => ({ transport, address, port }));
  }
}

/** "No such name" and "no such record" are answers (empty), not failures. */
async function nothingOnMissing<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "ENODATA" || code === "NXDOMAIN") return [];
    throw err;
  }
}

/** RFC 2782 order: priority ascending; within a priority, a weighted random permutation. */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority);
    if (list === undefined) byPriority.set(r.priority, [r]);
    else list.push(r);
  }
  const out: T[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    out.push(...weightedOrder(byPriority.get(p) ?? [], random));
  }
  return out;
}

/** A weighted random permutation: each pick chooses among the rest with probability ∝ weight (0 weights last-ish). */
export function weightedOrder<T extends { weight: number }>(items: readonly T[], random: () => number): T[] {
  const rest = [...items].sort((a, b) => a.weight - b.weight); // zero weights first, as RFC 2782 asks
  const out: T[] = [];
  while (rest.length > 0) {
    const total = rest.reduce((s, r) => s + r.weight, 0);
    let pick = 0;
    if (total > 0) {
      const x = random() * total;
      let run = 0;
      pick = rest.length - 1;
      for (let i = 0; i < rest.length; i++) {
        run += (rest[i] as T).weight;
        if (run > x) {
          pick = i;
          break;
        }
      }
    }
    out.push(...rest.splice(pick, 1));
  }
  return out;
}
