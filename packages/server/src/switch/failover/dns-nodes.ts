import type { FailoverNode, NodePorts } from "@centrex/failover";
import { type FailoverConfig, FailoverConfigError } from "./config.js";

/** A socket this node's SIP stack is bound to (`BoundAddress`: transport UDP/TCP/TLS). */
export interface ServedTransport {
  readonly transport: string;
  readonly port: number;
}

function lower(t: string): string {
  return t.toLowerCase();
}

/** The transports and ports phones may use on this node: what its SIP stack is bound to. */
export function servedPorts(served: readonly ServedTransport[]): NodePorts {
  const ports: NodePorts = {};
  for (const s of served) {
    const t = lower(s.transport);
    if (t === "udp" || t === "tcp" || t === "tls") ports[t] ??= s.port;
  }
  return ports;
}

/**
 * The pair's nodes as DNS will publish them. A node without `ports` serves what this node serves
 * (a pair runs the same listeners); this node's explicit `ports` must each be listened on, so
 * NAPTR/SRV never send a phone to a transport that answers "connection refused".
 */
export function dnsNodes(
  dns: NonNullable<FailoverConfig["dns"]>,
  served: readonly ServedTransport[],
): FailoverNode[] {
  const own = servedPorts(served);
  return dns.nodes.map((n, i) => {
    const ports = n.ports ?? own;
    if (n.name === dns.self && n.ports !== undefined) {
      for (const t of ["udp", "tcp", "tls"] as const) {
        const port = n.ports[t];
        if (port === undefined) continue;
        if (!served.some((s) => lower(s.transport) === t && s.port === port))
          throw new FailoverConfigError(
            `failover: key "failover.dns.nodes.${i}.ports.${t}": this node does not listen on ${t} port ${port} (sip.listen)`,
            `failover.dns.nodes.${i}.ports.${t}`,
          );
      }
    }
    return {
      name: n.name,
      ipv4: n.ipv4,
      ipv6: n.ipv6,
      priority: n.priority,
      weight: n.weight,
      ports: { udp: ports.udp, tcp: ports.tcp, tls: ports.tls },
    };
  });
}
