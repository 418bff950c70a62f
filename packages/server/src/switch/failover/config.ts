import { isIP } from "node:net";
import { z } from "zod";

const portSchema = z.number().int().min(0).max(65535);
const ipSchema = z.string().refine((s) => isIP(s) !== 0, "not an IP address");

const dnsNodeSchema = z.strictObject({
  /** A label in the zone (`node-a`) or a name inside it; the SRV target of this node. */
  name: z.string().min(1),
  ipv4: ipSchema.optional(),
  ipv6: ipSchema.optional(),
  /** SRV priority: lower first (the usual primary gets the lower one). */
  priority: z.number().int().min(0).max(65535),
  weight: z.number().int().min(0).max(65535).optional(),
  /**
   * The transports this node serves, with their ports: only these get NAPTR/SRV records. Left
   * out: the same transports and ports as this node's own `sip.listen` (a pair is symmetric).
   * For this node (`dns.self`) every one listed must really be listened on.
   */
  ports: z
    .strictObject({ udp: portSchema.optional(), tcp: portSchema.optional(), tls: portSchema.optional() })
    .refine((p) => p.udp !== undefined || p.tcp !== undefined || p.tls !== undefined, "lists no transport")
    .optional(),
});

/**
 * The `failover:` section of the node's configuration (absent: a single node). Self-contained so
 * `config/schema.ts` can use it as `failover: failoverConfigSchema.optional()`.
 */
export const failoverConfigSchema = z.strictObject({
  /** Role at start; `centrex start --role` overrides it. A node that was replaced restarts as standby. */
  role: z.enum(["primary", "standby"]),
  /** Shared by both nodes: authenticates replication (mutual HMAC) and the failback control calls. */
  secret: z.string().min(16),
  /** This node's replication listener (the primary runs it; a standby after takeover). */
  replication: z
    .strictObject({ address: z.string().min(1).default("127.0.0.1"), port: portSchema.default(7070) })
    .prefault({}),
  /** HTTP health endpoint (`GET /health`: role and epoch) and failback control (`POST /failover/*`). */
  health: z
    .strictObject({ address: z.string().min(1).default("127.0.0.1"), port: portSchema.default(7071) })
    .prefault({}),
  /** The other node of the pair; `centrex start --peer HOST` overrides `host`. */
  peer: z.strictObject({
    /** Its `node.name`: whose open calls are closed as interrupted at takeover. */
    name: z.string().min(1),
    host: z.string().min(1),
    replicationPort: portSchema.default(7070),
    healthPort: portSchema.default(7071),
    /** UDP port its SIP stack answers OPTIONS on. */
    sipPort: portSchema.default(5060),
  }),
  /**
   * Longest registration expiry the registrar grants while paired (seconds): it caps
   * `registrar.maxExpires`/`defaultExpires`. Phones refresh at ~90 % of it and only then notice a
   * dead node or a moved name, so it bounds the failover time of a phone that keeps a stale
   * route (NAT pinhole, cached DNS). Chosen with `dns.ttl`: the TTL must not exceed it, so a
   * cached answer is always fresh by the next refresh. See the README's failover section.
   */
  registrationExpiry: z.number().int().min(10).max(86_400).default(120),
  /**
   * The pair's shared address, for nodes on one subnet: the active node brings it up (IPv4 with
   * a gratuitous ARP, IPv6 with an unsolicited neighbour advertisement) and DNS names it, so a
   * request a phone sent to "the server" just before the kill is answered by the standby on its
   * next retransmission. Needs CAP_NET_ADMIN (README). `ADDRESS/PREFIX` each; `interface`
   * defaults to the one whose own address shares the subnet.
   */
  serviceAddress: z
    .strictObject({
      ipv4: z.string().min(1).optional(),
      ipv6: z.string().min(1).optional(),
      interface: z.string().min(1).optional(),
    })
    .refine((a) => a.ipv4 !== undefined || a.ipv6 !== undefined, "needs ipv4 or ipv6")
    .optional(),
  probe: z
    .strictObject({
      /** Probe round period (± 20 % jitter); a killed peer is seen after `misses` rounds. */
      intervalMs: z.number().int().min(20).max(60_000).default(200),
      /** Consecutive missed rounds before the standby takes over. */
      misses: z.number().int().min(1).max(100).default(3),
      timeoutMs: z.number().int().min(10).max(30_000).default(500),
      /**
       * How long this node's main loop may go silent before its health endpoint (a worker
       * thread) says `stalled` and the peer may count it dead (ms). Above the store's SQLite
       * busy timeout (5 s): a loop waiting on a write lock another process holds is alive.
       */
      stallMs: z.number().int().min(100).max(120_000).default(6000),
    })
    .prefault({}),
  dns: z
    .strictObject({
      zone: z.string().min(1),
      /** The name phones are configured with, e.g. `sip.operator.example`. */
      serviceName: z.string().min(1),
      ttl: z.number().int().min(1).max(86_400).default(30),
      /** Which entry of `nodes` is this node. */
      self: z.string().min(1),
      nodes: z.array(dnsNodeSchema).min(2),
      /** Serve the zone ourselves (both nodes may: list both as NS). */
      embedded: z
        .strictObject({
          address: z.string().min(1).default("127.0.0.1"),
          port: portSchema.default(53),
          nameServers: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                ipv4: ipSchema.optional(),
                ipv6: ipSchema.optional(),
              }),
            )
            .optional(),
        })
        .optional(),
      /** Or update the operator's authoritative server (RFC 2136, TSIG). */
      rfc2136: z
        .strictObject({
          server: z.strictObject({ host: z.string().min(1), port: portSchema.default(53) }),
          key: z.strictObject({
            name: z.string().min(1),
            algorithm: z.enum(["hmac-sha256"]).default("hmac-sha256"),
            secret: z.string().min(1),
          }),
          timeoutMs: z.number().int().min(100).max(30_000).default(2000),
        })
        .optional(),
    })
    .optional(),
  backup: z
    .strictObject({
      dir: z.string().min(1),
      keepDays: z.number().int().min(1).max(3650).default(7),
      /** Local time of day, HH:MM. */
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "not HH:MM")
        .default("03:00"),
    })
    .optional(),
});

export type FailoverConfig = z.infer<typeof failoverConfigSchema>;

/** Raised for a failover configuration that parses but cannot work (names the key). */
export class FailoverConfigError extends Error {
  override readonly name = "FailoverConfigError";
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}
