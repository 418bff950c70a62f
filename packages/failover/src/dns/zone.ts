import { InvalidDnsConfigError } from "./errors.js";
import { canonicalName, isInZone, isValidName } from "./names.js";
import type { FailoverRecord } from "./records.js";
import { type SoaData, typeCode, type ZoneRecord } from "./zone-records.js";

export interface SoaSettings {
  /** Primary master name; default `ns1.<zone>`. */
  mname?: string | undefined;
  /** Responsible mailbox in DNS form; default `hostmaster.<zone>`. */
  rname?: string | undefined;
  refresh?: number | undefined;
  retry?: number | undefined;
  expire?: number | undefined;
  /** Negative-caching TTL (RFC 2308); default 30 s like the records. */
  minimum?: number | undefined;
  /** TTL of the SOA and NS records; default 30 s. */
  ttl?: number | undefined;
}

export interface NameServerSpec {
  name: string;
  ipv4?: string | undefined;
  ipv6?: string | undefined;
}

/**
 * An immutable view of the zone at one serial. The server swaps the whole snapshot on every change, so a
 * query always sees either the old set or the new one, never a mix.
 */
export class ZoneSnapshot {
  readonly soa: ZoneRecord & { type: "SOA" };
  /** name → type code → RRset. */
  private readonly nodes = new Map<string, Map<number, ZoneRecord[]>>();
  /** Names that exist only because something lives below them (empty non-terminals): NODATA, not NXDOMAIN. */
  private readonly emptyNonTerminals = new Set<string>();

  constructor(
    readonly zone: string,
    readonly serial: number,
    records: readonly FailoverRecord[],
    soa: SoaSettings,
    nameServers: readonly NameServerSpec[],
  ) {
    const ttl = soa.ttl ?? 30;
    const soaData: SoaData = {
      mname: canonicalName(soa.mname ?? nameServers[0]?.name ?? `ns1.${zone}`),
      rname: canonicalName(soa.rname ?? `hostmaster.${zone}`),
      serial,
      refresh: soa.refresh ?? 3600,
      retry: soa.retry ?? 600,
      expire: soa.expire ?? 604800,
      minimum: soa.minimum ?? 30,
    };
    this.soa = { name: zone, type: "SOA", ttl, data: soaData };
    this.add(this.soa);
    for (const ns of nameServers) {
      const host = canonicalName(ns.name);
      this.add({ name: zone, type: "NS", ttl, data: host });
      if (isInZone(host, zone)) {
        if (ns.ipv4 !== undefined) this.add({ name: host, type: "A", ttl, data: ns.ipv4 });
        if (ns.ipv6 !== undefined) this.add({ name: host, type: "AAAA", ttl, data: ns.ipv6 });
      }
    }
    for (const r of records) {
      const name = canonicalName(r.name);
      if (!isValidName(name) || !isInZone(name, zone)) {
        throw new InvalidDnsConfigError(`record name ${r.name} is not inside zone ${zone}`, "records");
      }
      if (name === zone && (r.type as string) === "SOA") continue;
      this.add({ ...r, name } as ZoneRecord);
    }
    for (const name of this.nodes.keys()) {
      let n = name;
      while (n !== zone) {
        const dot = n.indexOf(".");
        if (dot < 0) break;
        n = n.slice(dot + 1);
        if (!this.nodes.has(n)) this.emptyNonTerminals.add(n);
      }
    }
  }

  private add(r: ZoneRecord): void {
    let node = this.nodes.get(r.name);
    if (node === undefined) {
      node = new Map();
      this.nodes.set(r.name, node);
    }
    const code = typeCode(r.type);
    const set = node.get(code);
    if (set === undefined) {
      node.set(code, [r]);
      return;
    }
    // An RRset holds no duplicate records (RFC 2181 §5); all members share the first one's TTL.
    const key = JSON.stringify(r.data);
    if (set.some((x) => JSON.stringify(x.data) === key)) return;
    set.push({ ...r, ttl: set[0]!.ttl } as ZoneRecord);
  }

  /** The RRset, or undefined. `name` must be canonical. */
  rrset(name: string, type: number): readonly ZoneRecord[] | undefined {
    return this.nodes.get(name)?.get(type);
  }

  /** Every RRset at `name` (for ANY), or undefined when the name has no records. */
  node(name: string): ReadonlyMap<number, ZoneRecord[]> | undefined {
    return this.nodes.get(name);
  }

  /** True for names that exist (with records, or as empty non-terminals). */
  exists(name: string): boolean {
    return this.nodes.has(name) || this.emptyNonTerminals.has(name);
  }

  /** Every record, apex SOA first (used by tests and diagnostics). */
  records(): ZoneRecord[] {
    const out: ZoneRecord[] = [];
    for (const node of this.nodes.values()) for (const set of node.values()) out.push(...set);
    return out;
  }
}
