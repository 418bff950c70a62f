import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import type { DnsLogger } from "../dns/logger.js";
import { silentLogger } from "../dns/logger.js";
import { type Cidr, type HostInterface, interfaceForSubnet, parseCidr } from "./subnet.js";

/** A service address that cannot be taken over on this host; `key` names the config key. */
export class ServiceAddressError extends Error {
  override readonly name = "ServiceAddressError";
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

export interface ServiceAddressOptions {
  /** `ADDRESS/PREFIX`, e.g. `192.0.2.10/24`. */
  ipv4?: string | undefined;
  /** `ADDRESS/PREFIX`, e.g. `2001:db8::10/64`. */
  ipv6?: string | undefined;
  /** The interface to bring it up on; default: the one whose own address shares its subnet. */
  interface?: string | undefined;
  /** Config key prefix for error messages (`failover.serviceAddress`). */
  key?: string;
  /** Runs `ip ARGS` (tests inject one); default: execFile of iproute2's `ip`. */
  ip?: (args: readonly string[]) => Promise<void>;
  /** Re-announcements after the first, in ms from acquiring (lost frames, slow switches). */
  announceAgainMs?: readonly number[];
  logger?: DnsLogger;
}

interface Resolved {
  cidr: Cidr;
  iface: HostInterface;
}

function runIp(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("ip", args, { timeout: 5000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`ip ${args.join(" ")}: ${stderr.trim() || err.message}`));
    });
  });
}

/**
 * The pair's service address on one subnet: the active node holds it, so a phone whose request
 * left for "the server" before anything else moved reaches the standby on its next
 * retransmission instead of waiting out Timer F (32 s) on a dead node.
 *
 * Acquiring adds the address (IPv6 without DAD: the dead node's kernel may still hold it) and
 * has the kernel announce it — a gratuitous ARP (IPv4, `arp_notify`) and an unsolicited
 * neighbour advertisement with the override flag (IPv6, `ndisc_notify`) — by setting the
 * interface's own MAC again, which the kernel treats as an address change to tell the link
 * about. No raw sockets, no extra tool: iproute2 and CAP_NET_ADMIN.
 */
export class ServiceAddress {
  readonly #o: ServiceAddressOptions;
  readonly #log: DnsLogger;
  readonly #ip: (args: readonly string[]) => Promise<void>;
  readonly #addrs: Resolved[];
  #timers: NodeJS.Timeout[] = [];
  #held = false;

  /** Resolves the interface for each address now: throws ServiceAddressError naming the key. */
  constructor(opts: ServiceAddressOptions) {
    this.#o = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#ip = opts.ip ?? runIp;
    const key = opts.key ?? "failover.serviceAddress";
    this.#addrs = [];
    for (const fam of ["ipv4", "ipv6"] as const) {
      const text = opts[fam];
      if (text === undefined) continue;
      const cidr = parseCidr(text);
      if (cidr === undefined || cidr.family !== (fam === "ipv4" ? 4 : 6))
        throw new ServiceAddressError(
          `key "${key}.${fam}": ${JSON.stringify(text)} is not an ${fam} ADDRESS/PREFIX`,
          `${key}.${fam}`,
        );
      const iface = interfaceForSubnet(cidr, opts.interface);
      if (iface === undefined)
        throw new ServiceAddressError(
          opts.interface !== undefined
            ? `key "${key}.${fam}": ${text} is not in the subnet of interface ${opts.interface} (no such interface, or no address of its own there)`
            : `key "${key}.${fam}": ${text} is not in the subnet of any interface of this host`,
          `${key}.${fam}`,
        );
      this.#addrs.push({ cidr, iface });
    }
    if (this.#addrs.length === 0) throw new ServiceAddressError(`key "${key}": needs ipv4 or ipv6`, key);
  }

  /** The interfaces the addresses go on. */
  get interfaces(): string[] {
    return [...new Set(this.#addrs.map((a) => a.iface.name))];
  }

  get held(): boolean {
    return this.#held;
  }

  /** Brings the address up here and announces it; repeated announcements follow. */
  async acquire(): Promise<void> {
    for (const { cidr, iface } of this.#addrs) {
      await this.#notifySysctls(iface.name, cidr.family);
      const a = `${cidr.address}/${cidr.prefix}`;
      if (cidr.family === 4) await this.#ip(["-4", "addr", "replace", a, "dev", iface.name]);
      else await this.#ip(["-6", "addr", "replace", a, "dev", iface.name, "nodad"]);
    }
    this.#held = true;
    await this.#announce();
    this.#log.warn(
      { addresses: this.#addrs.map((a) => a.cidr.address), interfaces: this.interfaces },
      "service address up here",
    );
    this.#clearTimers();
    for (const ms of this.#o.announceAgainMs ?? [500, 1500, 3500]) {
      const t = setTimeout(() => {
        if (this.#held)
          this.#announce().catch((err: Error) =>
            this.#log.error({ err }, "announcing the service address failed"),
          );
      }, ms);
      t.unref();
      this.#timers.push(t);
    }
  }

  /** Takes the address down here (stepping down, stopping); absent already is fine. */
  async release(): Promise<void> {
    this.#clearTimers();
    this.#held = false;
    for (const { cidr, iface } of this.#addrs) {
      await this.#ip([
        cidr.family === 4 ? "-4" : "-6",
        "addr",
        "del",
        `${cidr.address}/${cidr.prefix}`,
        "dev",
        iface.name,
      ]).catch(() => undefined);
    }
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  /** Setting the interface's MAC to itself makes the kernel send GARP / unsolicited NA. */
  async #announce(): Promise<void> {
    for (const name of this.interfaces) {
      const mac = this.#addrs.find((a) => a.iface.name === name)?.iface.mac;
      if (mac !== undefined) await this.#ip(["link", "set", "dev", name, "address", mac]);
    }
  }

  async #notifySysctls(iface: string, family: 4 | 6): Promise<void> {
    if (this.#o.ip !== undefined) return; // injected `ip`: a test without privileges
    const path =
      family === 4
        ? `/proc/sys/net/ipv4/conf/${iface}/arp_notify`
        : `/proc/sys/net/ipv6/conf/${iface}/ndisc_notify`;
    await writeFile(path, "1").catch((err: Error) => {
      throw new ServiceAddressError(
        `cannot enable ${path} (needs CAP_NET_ADMIN): ${err.message}`,
        "failover.serviceAddress",
      );
    });
  }
}
