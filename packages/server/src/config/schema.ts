import { isIP } from "node:net";
import { DEFAULT_SCANNER_USER_AGENTS } from "@centrex/guard";
import { z } from "zod";
import { failoverConfigSchema } from "../switch/failover/config.js";
import { provisioningConfigSchema, requireProvisioningServer } from "../switch/provisioning-config.js";

/**
 * The node's configuration file (YAML). Tenant data (customers, extensions,
 * numbers) is not here: it lives in the store and changes live.
 */
const listenSchema = z.strictObject({
  transport: z.enum(["udp", "tcp", "tls"]),
  address: z.string().min(1),
  port: z.number().int().min(0).max(65535),
});

const nodeConfigSchema = z.strictObject({
  node: z
    .strictObject({
      name: z.string().min(1).default("centrex"),
    })
    .prefault({}),
  sip: z
    .strictObject({
      /** Where the switch listens; defaults to UDP and TCP 5060 on all addresses. */
      listen: z
        .array(listenSchema)
        .min(1)
        .default([
          { transport: "udp", address: "0.0.0.0", port: 5060 },
          { transport: "tcp", address: "0.0.0.0", port: 5060 },
        ]),
      /** Address written in our Via and Record-Route when listening on a wildcard address. */
      advertisedAddress: z.string().min(1).optional(),
      tls: z
        .strictObject({
          cert: z.string().min(1),
          key: z.string().min(1),
          /** Lowest TLS version accepted from phones (TLS 1.0/1.1 are never offered). */
          minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
          /** OpenSSL cipher list for TLS 1.2 connections; default Node's (forward-secret AEAD first). */
          ciphers: z.string().min(1).optional(),
        })
        .optional(),
      /** Messages larger than this are refused (bytes). */
      maxMessageSize: z.number().int().min(1024).max(1_048_576).default(65_536),
      /** RFC 3261 timer bases, in milliseconds. */
      timers: z
        .strictObject({
          t1: z.number().int().min(10).max(60_000).default(500),
          t2: z.number().int().min(100).max(120_000).default(4_000),
          t4: z.number().int().min(100).max(120_000).default(5_000),
        })
        .prefault({}),
      /**
       * Digest algorithms offered in challenges. Default MD5 alone: every desk phone knows it,
       * and some (libre/baresip 1.0) give up on a challenge offering any algorithm they lack.
       * When an operator enables SHA-256 it is offered first, whatever the order written here
       * (RFC 8760 §2.4: most preferred first); duplicates are dropped.
       */
      digestAlgorithms: z
        .array(z.enum(["MD5", "SHA-256"]))
        .min(1)
        .default(["MD5"])
        .transform((list) => (["SHA-256", "MD5"] as const).filter((a) => list.includes(a))),
      /** Closes inbound TCP/TLS connections idle for longer than this (ms). */
      idleConnectionMs: z.number().int().min(1_000).default(600_000),
    })
    .prefault({}),
  registrar: z
    .strictObject({
      /** Registration expiry bounds (seconds): shorter requests get 423, longer are cut. */
      minExpires: z.number().int().min(1).max(86_400).default(60),
      maxExpires: z.number().int().min(1).max(86_400).default(3600),
      defaultExpires: z.number().int().min(1).max(86_400).default(3600),
      /** Every binding is pinged (OPTIONS) this often to keep its NAT open (seconds); 0 turns it off. */
      keepaliveSeconds: z.number().int().min(0).max(3600).default(30),
      /** Lifetime of a digest nonce (seconds); older ones get a challenge with stale=true. */
      nonceTtl: z.number().int().min(5).max(86_400).default(300),
    })
    .prefault({}),
  proxy: z
    .strictObject({
      /** How long a call rings before the caller gets 480 No Answer (ms). */
      ringTimeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
      /** Challenge calls from phones (407). Only a benchmark turns this off. */
      authenticateCalls: z.boolean().default(true),
      /**
       * RFC 4028: Session-Expires put into an INVITE that asks for none (s). With no refresh
       * answered within it, the switch ends the call (BYE both ways).
       */
      sessionExpiresSeconds: z.number().int().min(1).max(86_400).default(1800),
      /** RFC 4028 Min-SE (s): a smaller Session-Expires gets 422. RFC 4028 sets 90 as the floor; lower only in tests. */
      minSessionExpiresSeconds: z.number().int().min(1).max(86_400).default(90),
    })
    .prefault({}),
  voicemail: z
    .strictObject({
      /** Answer the voicemail feature codes (*98, *97*<ext>) and the "voicemail:<ext>" target. */
      enabled: z.boolean().default(true),
      /** Folder of the mailboxes; default `voicemail/` beside the database. */
      dir: z.string().min(1).optional(),
      /** Messages older than this are deleted (days). */
      retentionDays: z.number().int().min(1).max(3650).default(30),
      /** A mailbox holding this many messages refuses new ones (486 Mailbox full). */
      maxMessages: z.number().int().min(1).max(10_000).default(100),
      /** Longest message or greeting recorded (seconds). */
      maxMessageSeconds: z.number().int().min(5).max(3600).default(120),
      /** Address of the voicemail's own SIP and RTP sockets (the relay faces the phones). */
      address: z.string().min(1).default("127.0.0.1"),
    })
    .prefault({}),
  media: z
    .strictObject({
      /** Anchor every call's RTP in the relay (phones behind NAT need it). */
      enabled: z.boolean().default(true),
      /** Address the relay's sockets bind to; default: the SIP listen address, else 0.0.0.0. */
      bindAddress: z.string().min(1).optional(),
      /** Address written into rewritten SDP; default: sip.advertisedAddress, else the bind address. */
      advertisedAddress: z.string().min(1).optional(),
      portMin: z.number().int().min(1024).max(65534).default(30_000),
      portMax: z.number().int().min(1025).max(65535).default(39_999),
      /** A call with no media for this long is ended (seconds). */
      timeoutSeconds: z.number().int().min(1).max(86_400).default(60),
      /** Same while on hold. */
      holdTimeoutSeconds: z.number().int().min(1).max(86_400).default(3600),
      latching: z.enum(["trust-address", "learn", "lock"]).default("lock"),
      /**
       * Kernel fast path: "auto" has nftables forward each stream once both phones' sources
       * are latched (a fraction of the CPU per packet), falling back to userspace with one log
       * line where nftables cannot be programmed (no CAP_NET_ADMIN, no `nft`, IPv6,
       * ip_forward off for remote phones); "off" forwards every packet in this process.
       */
      kernel: z.enum(["auto", "off"]).default("auto"),
      /**
       * Separate media nodes (`centrex media` processes) to spread calls over; when
       * empty, the relay runs inside this process.
       */
      nodes: z
        .array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }))
        .default([]),
    })
    .prefault({}),
  dialplan: z
    .strictObject({
      /** Numbering plan data file (versioned JSON); default: the French plan shipped with centrex. */
      numberingPlan: z.string().min(1).optional(),
      /**
       * Emergency routing table (commune × service → centre number). Without one, emergency
       * calls go to the carrier as the dialled short number with the declared INSEE commune in
       * an X-Emergency-Commune header, and the carrier routes them. The shipped SAMPLE table
       * (fictional numbers) is for tests only and never used unless named here.
       */
      emergencyTable: z.string().min(1).optional(),
      /** Where the support line 22 22 rings: an extension of the operator's own customer. */
      support: z.strictObject({ domain: z.string().min(1), extension: z.string().min(1) }).optional(),
      /** Wrong PINs before a phone is locked out of PIN dialling, within `pinWindowMinutes`. */
      pinMaxFailures: z.number().int().min(1).max(100).default(3),
      pinWindowMinutes: z.number().int().min(1).max(1440).default(10),
      pinLockoutMinutes: z.number().int().min(1).max(10_080).default(30),
    })
    .prefault({}),
  trunk: z
    .strictObject({
      /** DNS servers for carrier names (RFC 3263), "addr:port"; default the system's. */
      dnsServers: z.array(z.string().min(1)).default([]),
      /** OPTIONS health probe of each carrier (seconds); 0 turns it off. */
      probeSeconds: z.number().int().min(0).max(3600).default(30),
      /** A carrier that sends nothing for this long is abandoned for the next (ms). */
      noResponseTimeoutMs: z.number().int().min(200).max(32_000).default(3000),
      /**
       * Which carriers get an outbound REGISTER. "per-carrier": those added with `carrier add
       * --register`; "off": none. "auto" is the rule of earlier versions (every carrier with a
       * username and password), kept so existing configurations start; it logs a warning.
       */
      registration: z.enum(["per-carrier", "auto", "off"]).default("per-carrier"),
      /** A carrier whose real calls fail (5xx, 408, silence) is tried after the others this long (seconds). */
      demoteSeconds: z.number().int().min(1).max(86_400).default(60),
      /** Carrier changes made with the CLI are picked up this often (seconds). */
      reloadSeconds: z.number().int().min(1).max(3600).default(5),
    })
    .prefault({}),
  billing: z
    .strictObject({
      /** Ed25519 private key (PEM) signing the call-record chain; default: generated beside the database. */
      ledgerKey: z.string().min(1).optional(),
      /** Tariff book (JSON, see packages/billing/data) for invoice runs through the API. */
      tariffs: z.string().min(1).optional(),
      /** Fraud alerts are POSTed here as JSON (the operator's alerting); none = logs only. */
      fraudWebhook: z.url().optional(),
    })
    .prefault({}),
  /**
   * Defences against the hostile Internet (packages/guard), all keyed by source address. A
   * banned source gets no answer at all. See the README's "Security" section for how to tune.
   */
  security: z
    .strictObject({
      /** Addresses or CIDR blocks never rate-limited nor banned automatically (carriers, offices). */
      allow: z.array(z.string().refine(isAddressOrBlock, "an IP address or CIDR block")).default([]),
      /** Pike-style flood limit: more than `maxMessages` from one source within `windowMs` bans it. */
      flood: z
        .strictObject({
          windowMs: z.number().int().min(100).max(60_000).default(2000),
          maxMessages: z.number().int().min(10).max(1_000_000).default(400),
          banSeconds: z.number().int().min(1).max(604_800).default(60),
          maxBanSeconds: z.number().int().min(1).max(604_800).default(3600),
        })
        .prefault({}),
      /**
       * Failed digest answers (wrong password or unknown user) from one source within the
       * window ban it; an extension's failures from all sources only alert (never lock it).
       */
      authFailures: z
        .strictObject({
          maxFailures: z.number().int().min(1).max(10_000).default(10),
          windowSeconds: z.number().int().min(1).max(86_400).default(600),
          banSeconds: z.number().int().min(1).max(604_800).default(900),
          maxBanSeconds: z.number().int().min(1).max(2_592_000).default(604_800),
          /** Failures on one extension (any sources, same window) that alert its owner and the operator. */
          extensionAlert: z.number().int().min(1).max(100_000).default(20),
        })
        .prefault({}),
      /** Requests whose User-Agent contains one of these (case-insensitive) are dropped, source banned. */
      scanners: z
        .strictObject({
          userAgents: z.array(z.string().min(1)).default([...DEFAULT_SCANNER_USER_AGENTS]),
          banSeconds: z.number().int().min(1).max(604_800).default(3600),
          maxBanSeconds: z.number().int().min(1).max(2_592_000).default(604_800),
        })
        .prefault({}),
      /** Server transactions alive per source; new requests beyond are dropped. */
      maxTransactionsPerSource: z.number().int().min(1).max(1_000_000).default(2000),
      /** Inbound TCP/TLS connections open per source address. */
      maxConnectionsPerSource: z.number().int().min(1).max(100_000).default(64),
      /** Sources each defence remembers at most (bounded memory whatever arrives). */
      maxTrackedSources: z.number().int().min(100).max(10_000_000).default(100_000),
      /**
       * "auto": bans are also enforced by nftables (a table of centrex's own, dropping banned
       * sources' packets to the SIP ports in the kernel) when the process may run `nft`;
       * "off": userspace only.
       */
      kernelBans: z.enum(["auto", "off"]).default("auto"),
      /** Admin API: wrong tokens from one address within 10 minutes before it is refused (429). */
      adminMaxFailures: z.number().int().min(1).max(1000).default(5),
    })
    .prefault({}),
  admin: z
    .strictObject({
      /** The operator's HTTP API; off until at least one token is configured. */
      address: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8080),
      /**
       * Bearer tokens; changes made with one are audited as "api:<name>". A token with `customer`
       * (a domain) is that customer's administrator's: it sees and changes that customer only.
       */
      tokens: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            token: z.string().min(16),
            customer: z.string().min(1).optional(),
          }),
        )
        .default([]),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** SQLite database file (the embedded default). */
      path: z.string().min(1).default("./centrex.db"),
    })
    .prefault({}),
  /** Primary/standby pair (absent: a single node). See packages/server/src/switch/failover/. */
  failover: failoverConfigSchema.optional(),
  /** Desk-phone provisioning over HTTPS (absent: off). See packages/server/src/switch/provisioning.ts. */
  provisioning: provisioningConfigSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
});

/** The file's schema with the checks that span sections. */
export const configSchema = nodeConfigSchema.superRefine(requireProvisioningServer);

export type CentrexConfig = z.infer<typeof configSchema>;

function isAddressOrBlock(v: string): boolean {
  const [addr, bits, extra] = v.split("/");
  if (addr === undefined || extra !== undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
export type ListenConfig = z.infer<typeof listenSchema>;
