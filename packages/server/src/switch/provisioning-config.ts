import { isIP } from "node:net";
import { z } from "zod";

// The `provisioning:` section's schema alone: the configuration is read before `start` binds its
// SIP sockets, and @centrex/provisioning (templates, HTTPS server) is not needed until after.

const dnsName = z
  .string()
  .min(1)
  .refine(
    (s) =>
      isIP(s) === 0 &&
      /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(s),
    {
      message: "must be a DNS name, not an address: phones follow the name when the server moves",
    },
  );

/**
 * The `provisioning:` section. Absent = the HTTPS service is off: it needs the operator's
 * certificate (phones check it against their CA list) and opens a port to the Internet, so
 * nothing is served until the operator asks for it. The phone commands work either way.
 */
export const provisioningConfigSchema = z.strictObject({
  address: z.string().min(1).default("0.0.0.0"),
  port: z.number().int().min(0).max(65535).default(8443),
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }),
  /** Key sealing the SIP passwords phones receive; default `<store.path>.provisioning-key`. */
  sealKey: z.string().min(1).optional(),
  /** Template folder (one sub-folder per family); default the templates shipped with centrex. */
  templates: z.string().min(1).optional(),
  /** Wrong credentials from one address within 10 minutes before it is banned. */
  maxFailures: z.number().int().min(1).max(1000).default(10),
  /** What the phones are told. */
  phones: z
    .strictObject({
      /** The server's DNS name; default `failover.dns.serviceName`. */
      server: dnsName.optional(),
      /** A second server name, for the models that take one. */
      secondServer: dnsName.optional(),
      transport: z.enum(["udp", "tcp", "tls"]).default("udp"),
      /** naptr: NAPTR → SRV → A; srv: SRV → A (two targets fail over without a DNS change); a: A only. */
      dnsMode: z.enum(["naptr", "srv", "a"]).default("srv"),
      /** Registration expiry asked for (s); default `failover.registrationExpiry`, else 300. */
      expires: z.number().int().min(30).max(86_400).optional(),
      failback: z.enum(["newRequests", "dnsttl", "registration", "duration"]).default("newRequests"),
      failbackSeconds: z.number().int().min(60).max(86_400).default(3600),
      keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
      language: z.enum(["fr", "en"]).default("fr"),
      timezone: z.string().min(1).default("Europe/Paris"),
      codecs: z
        .array(z.enum(["G722", "PCMA", "PCMU"]))
        .min(1)
        .default(["G722", "PCMA", "PCMU"]),
    })
    .prefault({}),
});

export type ProvisioningConfig = z.infer<typeof provisioningConfigSchema>;

/** The phones need a server name: `provisioning.phones.server`, else the failover service name. */
export function requireProvisioningServer(
  c: {
    provisioning?: ProvisioningConfig | undefined;
    failover?: { dns?: { serviceName: string } | undefined } | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (
    c.provisioning !== undefined &&
    c.provisioning.phones.server === undefined &&
    c.failover?.dns === undefined
  )
    ctx.addIssue({
      code: "custom",
      path: ["provisioning", "phones", "server"],
      message: "required: the DNS name phones register to (or a failover.dns.serviceName)",
    });
}
