import { isIPv4, isIPv6 } from "node:net";
import { InvalidDnsConfigError } from "./errors.js";
import { canonicalName, isInZone, isValidName, qualifyName } from "./names.js";

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface NaptrData {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
}

/** One resource record of the failover set. Names are canonical (lower case, no trailing dot). */
export type FailoverRecord =
  | { name: string; type: "A"; ttl: number; data: string }
  | { name: string; type: "AAAA"; ttl: number; data: string }
  | { name: string; type: "SRV"; ttl: number; data: SrvData }
  | { name: string; type: "NAPTR"; ttl: number; data: NaptrData };

export type FailoverRecordType = FailoverRecord["type"];

export interface ActiveAddresses {
  ipv4?: string | undefined;
  ipv6?: string | undefined;
}

export interface FailoverNode extends ActiveAddresses {
  /** A label relative to the zone (`primary`) or a name inside the zone (`primary.operator.example`). */
  name: string;
  /** SRV priority: lower is tried first (RFC 2782). */
  priority: number;
  /** SRV weight among nodes of equal priority; default 0. */
  weight?: number | undefined;
  /**
   * The transports this node really serves, with their ports; a transport left out gets no SRV
   * record for this node (and no NAPTR at all when no node serves it). Advertising one that is not
   * served makes phones fail: baresip picks SIPS from NAPTR, gets "connection refused", and never
   * tries UDP.
   */
  ports: NodePorts;
}

export interface NodePorts {
  udp?: number | undefined;
  tcp?: number | undefined;
  tls?: number | undefined;
}

export interface FailoverServiceConfig {
  /**
   * The pair's shared address on one subnet (see `ServiceAddress`): when set, the service name
   * and every SRV set name it, whichever node is active, so a phone's retransmissions follow
   * the address when it moves instead of a DNS answer they already used.
   */
  serviceAddress?: ActiveAddresses | undefined;
  zone: string;
  /** The name phones are configured with, e.g. `sip.operator.example`. Must be in `zone`. */
  serviceName: string;
  /** TTL in seconds for every published record; default 30 so caches follow a switch quickly. */
  ttl?: number | undefined;
  nodes: readonly FailoverNode[];
}

export interface FailoverRecordInput extends FailoverServiceConfig {
  active: ActiveAddresses;
}

/** An owner name and type whose whole RRset the publisher owns (replaced as a unit). */
export interface ManagedRrset {
  name: string;
  type: FailoverRecordType;
}

export const DEFAULT_FAILOVER_TTL = 30;

/** RFC 3263 §4.1 NAPTR services, most secure first, with the SRV prefix each one points at. */
const TRANSPORTS = [
  { srvPrefix: "_sips._tcp", service: "SIPS+D2T", order: 50, port: "tls" },
  { srvPrefix: "_sip._tcp", service: "SIP+D2T", order: 90, port: "tcp" },
  { srvPrefix: "_sip._udp", service: "SIP+D2U", order: 100, port: "udp" },
] as const;

interface CheckedConfig {
  zone: string;
  serviceName: string;
  ttl: number;
  nodes: { host: string; node: FailoverNode }[];
}

function checkPort(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidDnsConfigError(`port must be an integer in 1..65535, got ${value}`, field);
  }
}

function checkU16(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidDnsConfigError(`must be an integer in 0..65535, got ${value}`, field);
  }
}

function checkAddresses(a: ActiveAddresses, field: string): void {
  if (a.ipv4 === undefined && a.ipv6 === undefined) {
    throw new InvalidDnsConfigError("needs at least one of ipv4, ipv6", field);
  }
  if (a.ipv4 !== undefined && !isIPv4(a.ipv4)) {
    throw new InvalidDnsConfigError(`not an IPv4 address: ${a.ipv4}`, `${field}.ipv4`);
  }
  if (a.ipv6 !== undefined && !isIPv6(a.ipv6)) {
    throw new InvalidDnsConfigError(`not an IPv6 address: ${a.ipv6}`, `${field}.ipv6`);
  }
}

function checkPorts(ports: NodePorts, field: string): void {
  let served = 0;
  for (const t of ["udp", "tcp", "tls"] as const) {
    const port = ports[t];
    if (port === undefined) continue;
    checkPort(port, `${field}.ports.${t}`);
    served++;
  }
  if (served === 0)
    throw new InvalidDnsConfigError("a node must serve at least one of udp, tcp, tls", `${field}.ports`);
}

function checkConfig(config: FailoverServiceConfig): CheckedConfig {
  const zone = canonicalName(config.zone);
  if (!isValidName(zone)) throw new InvalidDnsConfigError(`invalid zone name "${config.zone}"`, "zone");
  const serviceName = canonicalName(config.serviceName);
  if (!isValidName(serviceName) || !isInZone(serviceName, zone)) {
    throw new InvalidDnsConfigError(
      `"${config.serviceName}" is not a name inside zone ${zone}`,
      "serviceName",
    );
  }
  const ttl = config.ttl ?? DEFAULT_FAILOVER_TTL;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) {
    throw new InvalidDnsConfigError(`must be an integer in 0..2147483647, got ${ttl}`, "ttl");
  }
  if (config.nodes.length === 0) throw new InvalidDnsConfigError("at least one node is required", "nodes");
  const seen = new Set<string>();
  const nodes = config.nodes.map((node, i) => {
    const field = `nodes[${i}]`;
    const host = qualifyName(node.name, zone);
    if (!isValidName(host))
      throw new InvalidDnsConfigError(`invalid node name "${node.name}"`, `${field}.name`);
    if (host === serviceName) {
      throw new InvalidDnsConfigError("a node name must differ from the service name", `${field}.name`);
    }
    if (seen.has(host)) throw new InvalidDnsConfigError(`duplicate node name ${host}`, `${field}.name`);
    seen.add(host);
    checkAddresses(node, field);
    checkU16(node.priority, `${field}.priority`);
    checkU16(node.weight ?? 0, `${field}.weight`);
    checkPorts(node.ports, field);
    return { host, node };
  });
  // Stable order: by priority, then by name, so the output does not depend on the input order.
  nodes.sort((a, b) => a.node.priority - b.node.priority || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { zone, serviceName, ttl, nodes };
}

/** Whether `node` is the one whose addresses `active` names (IPv4 decides when both have one). */
function isActiveNode(node: FailoverNode, active: ActiveAddresses): boolean {
  if (active.ipv4 !== undefined && node.ipv4 !== undefined) return node.ipv4 === active.ipv4;
  return active.ipv6 !== undefined && node.ipv6 === active.ipv6;
}

/**
 * The nodes in SRV order for this active node: the active one takes the lowest configured
 * priority and the others keep their relative order behind it, so a phone that restarts SRV at
 * the top for every request (baresip, Snom, Yealink) tries the live node first and never pays
 * Timer F (32 s) on the dead one. Swapping the configured priorities (rather than inventing new
 * ones) gives back the configured order exactly on failback.
 */
function srvOrder(
  nodes: CheckedConfig["nodes"],
  active: ActiveAddresses,
): { host: string; node: FailoverNode; priority: number }[] {
  const priorities = nodes.map((n) => n.node.priority).sort((a, b) => a - b);
  const ranked = [...nodes].sort(
    (a, b) => Number(isActiveNode(b.node, active)) - Number(isActiveNode(a.node, active)),
  );
  return ranked.map((n, i) => ({ ...n, priority: priorities[i] ?? n.node.priority }));
}

/**
 * The record set phones resolve, for a given active node (pure):
 * - A/AAAA of the service name → the active node's addresses;
 * - NAPTR at the service name → the SRV name of each transport at least one node serves
 *   (RFC 3263 §4.1), none for a transport nobody serves;
 * - SRV `_sip._udp`, `_sip._tcp`, `_sips._tcp` → the nodes serving that transport, the active
 *   node first (lowest priority) and the others behind it, so SRV-aware phones reach the live
 *   node on their first try;
 * - A/AAAA of each node's own host name, the SRV targets.
 */
export function computeFailoverRecords(input: FailoverRecordInput): FailoverRecord[] {
  const c = checkConfig(input);
  checkAddresses(input.active, "active");
  const { serviceName, ttl } = c;
  const out: FailoverRecord[] = [];
  const named = input.serviceAddress ?? input.active;
  if (input.serviceAddress !== undefined) checkAddresses(input.serviceAddress, "serviceAddress");
  if (named.ipv4 !== undefined) out.push({ name: serviceName, type: "A", ttl, data: named.ipv4 });
  if (named.ipv6 !== undefined) out.push({ name: serviceName, type: "AAAA", ttl, data: named.ipv6 });
  const served = TRANSPORTS.filter((t) => c.nodes.some(({ node }) => node.ports[t.port] !== undefined));
  for (const t of served) {
    out.push({
      name: serviceName,
      type: "NAPTR",
      ttl,
      data: {
        order: t.order,
        preference: 50,
        flags: "s",
        services: t.service,
        regexp: "",
        replacement: `${t.srvPrefix}.${serviceName}`,
      },
    });
  }
  const ordered = srvOrder(c.nodes, input.active);
  if (input.serviceAddress !== undefined) {
    // One target, the service name itself (its A/AAAA is the shared address), at the live
    // node's port: nothing for a phone to try in the wrong order.
    for (const t of served) {
      const port = ordered.map(({ node }) => node.ports[t.port]).find((p) => p !== undefined);
      if (port === undefined) continue;
      out.push({
        name: `${t.srvPrefix}.${serviceName}`,
        type: "SRV",
        ttl,
        data: { priority: 10, weight: 0, port, target: serviceName },
      });
    }
  }
  for (const t of input.serviceAddress !== undefined ? [] : served) {
    for (const { host, node, priority } of ordered) {
      const port = node.ports[t.port];
      if (port === undefined) continue;
      out.push({
        name: `${t.srvPrefix}.${serviceName}`,
        type: "SRV",
        ttl,
        data: { priority, weight: node.weight ?? 0, port, target: host },
      });
    }
  }
  for (const { host, node } of c.nodes) {
    if (node.ipv4 !== undefined) out.push({ name: host, type: "A", ttl, data: node.ipv4 });
    if (node.ipv6 !== undefined) out.push({ name: host, type: "AAAA", ttl, data: node.ipv6 });
  }
  return out;
}

/**
 * Every RRset the failover set may contain for this configuration, present or not: an RFC 2136 publisher
 * deletes all of them before adding the new records, so an address family that went away is removed too.
 */
export function managedRrsets(config: FailoverServiceConfig): ManagedRrset[] {
  const c = checkConfig(config);
  const out: ManagedRrset[] = [
    { name: c.serviceName, type: "A" },
    { name: c.serviceName, type: "AAAA" },
    { name: c.serviceName, type: "NAPTR" },
  ];
  for (const t of TRANSPORTS) out.push({ name: `${t.srvPrefix}.${c.serviceName}`, type: "SRV" });
  for (const { host } of c.nodes) {
    out.push({ name: host, type: "A" }, { name: host, type: "AAAA" });
  }
  return out;
}

/** The active addresses of a node, as `computeFailoverRecords` expects them. */
export function activeOf(node: ActiveAddresses): ActiveAddresses {
  const a: ActiveAddresses = {};
  if (node.ipv4 !== undefined) a.ipv4 = node.ipv4;
  if (node.ipv6 !== undefined) a.ipv6 = node.ipv6;
  return a;
}
