import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { Logger } from "pino";
import { ownerStatement, removeStaleTables } from "./nft-owner.js";

/** One direction's endpoint of a kernel-forwarded flow: the phone and the relay port facing it. */
export interface FlowEnd {
  /** Where this phone sends from (latched) and where it gets the other phone's packets. */
  address: string;
  port: number;
  /** The relay port facing this phone. */
  relayPort: number;
}

/** Packets and bytes (UDP payload) the kernel forwarded from one end, since the flow was installed. */
export interface FlowCounter {
  packets: number;
  bytes: number;
}

export interface NftForwarderOptions {
  /** Address the relay's sockets are bound to ("0.0.0.0" or "::": any); its family picks the table's. */
  bindAddress: string;
  /** Address phones send to (the SDP's); the kernel's source address when bindAddress is any. */
  advertisedAddress: string;
  /** The relay's port range; the table only ever touches packets to or from these ports. */
  portMin: number;
  portMax: number;
  /** The `nft` command. Default "nft" (from PATH). */
  nft?: string;
  logger?: Logger;
}

/** Why the kernel path cannot be used here (one line, for the log). */
export class KernelPathUnavailable extends Error {
  override name = "KernelPathUnavailable";
}

/** nftables address family of the relay's table: `ip` (IPv4) or `ip6`, after the relay's bind address. */
export type NftFamily = "ip" | "ip6";

// IP + UDP headers: nftables counts whole IP packets, the relay's statistics count payload.
const UDP_HEADERS: Record<NftFamily, number> = { ip: 28, ip6: 48 };

/**
 * The kernel fast path, programmed with nftables: one table of the relay's own
 * (`ip centrex_<min>_<max>`, or `ip6 centrex_<min>_<max>` for a relay bound to an IPv6
 * address — same chains and maps, keyed on IPv6 addresses), created at open and deleted at close.
 *
 * - `raw` chains (prerouting, output): a packet to a relay port whose source
 *   (address . port . relay port) is in `@zones` gets that flow's conntrack zone and
 *   is counted on the element; every other packet to or from a relay port is
 *   `notrack` and reaches the relay's sockets (userspace path) untouched.
 * - `nat` chains: the first packet of a tracked flow is DNATed to the other phone
 *   (`@dst_of`) and SNATed to the relay port facing it (`@src_of`); conntrack then
 *   forwards both directions, the reply direction through the same entry.
 *
 * A fresh zone per installation keeps a stale conntrack entry (from an earlier
 * latch, or an earlier call on the same ports) from being reused: removing a flow
 * sends its packets back to userspace at once, whatever conntrack still holds. The
 * flows' conntrack entries get a 10 s timeout of their own (`ct timeout`), so stale
 * ones are gone long before the zone counter comes round again, or a restarted
 * relay (random first zone) could meet them; an entry that expires during a silence
 * is simply created again by the next packet, from the same maps.
 * Element timeouts are a dead man's switch: should the relay die without cleaning,
 * the kernel stops forwarding after `timeoutSeconds`; while it runs, a flow whose
 * element expired shows up in userspace and is installed again.
 */
export class NftForwarder {
  readonly table: string;
  readonly family: NftFamily;
  readonly sourceAddress: string;
  #nft: string;
  #log: Logger | undefined;
  #queue: { ops: ElementOp[]; resolve(): void; reject(e: Error): void }[] = [];
  #running = false;
  #idle: (() => void)[] = [];
  /** Random start: a restarted relay must not reuse the zones of its predecessor's live conntrack entries. */
  #nextZone = randomInt(1, 65536);
  #closed = false;

  private constructor(
    family: NftFamily,
    table: string,
    sourceAddress: string,
    nft: string,
    logger: Logger | undefined,
  ) {
    this.family = family;
    this.table = table;
    this.sourceAddress = sourceAddress;
    this.#nft = nft;
    this.#log = logger;
  }

  /** Creates the table (deleting a stale one of the same name first), or says why it cannot. */
  static async open(options: NftForwarderOptions): Promise<NftForwarder> {
    const family: NftFamily = options.bindAddress.includes(":") ? "ip6" : "ip";
    const source = sourceAddressFor(family, options.bindAddress, options.advertisedAddress);
    const sysctl = family === "ip" ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
    if (!isLoopback(source) && readSysctl(sysctl) !== "1") {
      throw new KernelPathUnavailable(
        `${sysctl.replaceAll("/", ".")} is 0: the kernel would not forward packets between remote phones`,
      );
    }
    const nft = options.nft ?? "nft";
    const table = `centrex_${options.portMin}_${options.portMax}`;
    const f = new NftForwarder(family, table, source, nft, options.logger);
    const stale = await removeStaleTables(nft);
    if (stale.length > 0)
      options.logger?.info({ tables: stale }, "removed nftables tables of exited centrex processes");
    await runNft(nft, `table ${family} ${table}\ndelete table ${family} ${table}\n`).catch(() => {});
    try {
      await runNft(nft, ruleset(family, table, options.portMin, options.portMax));
    } catch (err) {
      throw new KernelPathUnavailable(`nftables refused the relay's table: ${(err as Error).message}`);
    }
    return f;
  }

  /** Whether a phone at `address` can be forwarded by this table (same address family; no IPv4-mapped IPv6). */
  carries(address: string): boolean {
    return this.family === "ip" ? !address.includes(":") : address.includes(":") && !address.includes(".");
  }

  /** A conntrack zone for a new installation (1..65535, cycling: stale entries expire long before reuse). */
  nextZone(): number {
    const z = this.#nextZone;
    this.#nextZone = z >= 65535 ? 1 : z + 1;
    return z;
  }

  /** Installs forwarding between two ends (both directions) in conntrack zone `zone`. */
  install(zone: number, a: FlowEnd, b: FlowEnd, timeoutSeconds: number): Promise<void> {
    const to = ` timeout ${Math.max(1, Math.round(timeoutSeconds))}s`;
    const src = this.sourceAddress;
    const ops: ElementOp[] = [
      { add: true, map: "zones", key: key(a), rest: `${to} : ${zone}` },
      { add: true, map: "zones", key: key(b), rest: `${to} : ${zone}` },
      { add: true, map: "dst_of", key: key(a), rest: `${to} : ${b.address} . ${b.port}` },
      { add: true, map: "dst_of", key: key(b), rest: `${to} : ${a.address} . ${a.port}` },
      {
        add: true,
        map: "src_of",
        key: `${zone} . ${b.address} . ${b.port}`,
        rest: `${to} : ${src} . ${b.relayPort}`,
      },
      {
        add: true,
        map: "src_of",
        key: `${zone} . ${a.address} . ${a.port}`,
        rest: `${to} : ${src} . ${a.relayPort}`,
      },
    ];
    return this.#submit(ops);
  }

  /** Removes a flow; packets from its ends reach the relay's sockets again. Never fails. */
  remove(zone: number, a: FlowEnd, b: FlowEnd): Promise<void> {
    const ops: ElementOp[] = [
      { add: false, map: "zones", key: key(a), rest: "" },
      { add: false, map: "zones", key: key(b), rest: "" },
      { add: false, map: "dst_of", key: key(a), rest: "" },
      { add: false, map: "dst_of", key: key(b), rest: "" },
      { add: false, map: "src_of", key: `${zone} . ${b.address} . ${b.port}`, rest: "" },
      { add: false, map: "src_of", key: `${zone} . ${a.address} . ${a.port}`, rest: "" },
    ];
    return this.#submit(ops).catch((err) =>
      this.#log?.debug({ err: (err as Error).message }, "kernel flow removal"),
    );
  }

  /** Resolves once every queued change is in the kernel (or failed). */
  settled(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #script(ops: ElementOp[]): string {
    return `${ops.map((op) => line(this.family, this.table, op)).join("\n")}\n`;
  }

  /** "map key" of every element the three maps hold now. */
  async #elements(): Promise<Set<string>> {
    const json = await runNft(this.#nft, undefined, ["-j", "list", "table", this.family, this.table]);
    const doc = JSON.parse(json) as { nftables: { map?: { name: string; elem?: unknown[] } }[] };
    const out = new Set<string>();
    for (const item of doc.nftables) {
      const map = item.map;
      if (map === undefined) continue;
      for (const e of map.elem ?? []) {
        const k = (e as [{ elem?: { val?: unknown }; concat?: unknown[] }])[0];
        const val = (k?.elem?.val ?? k) as { concat?: unknown[] } | undefined;
        if (val?.concat !== undefined) out.add(`${map.name} ${val.concat.join(" . ")}`);
      }
    }
    return out;
  }

  /** Every installed end's counters, keyed by `endKey(end)`. */
  async counters(): Promise<Map<string, FlowCounter>> {
    const out = new Map<string, FlowCounter>();
    if (this.#closed) return out;
    const json = await runNft(this.#nft, undefined, ["-j", "list", "map", this.family, this.table, "zones"]);
    const doc = JSON.parse(json) as { nftables: { map?: { elem?: unknown[] } }[] };
    for (const item of doc.nftables) {
      for (const e of item.map?.elem ?? []) {
        const elem = (
          e as [{ elem?: { val?: { concat?: [string, number, number] }; counter?: FlowCounter } }]
        )[0]?.elem;
        const k = elem?.val?.concat;
        const c = elem?.counter;
        if (k === undefined || c === undefined) continue;
        out.set(`${k[0]} ${k[1]} ${k[2]}`, {
          packets: c.packets,
          bytes: Math.max(0, c.bytes - c.packets * UDP_HEADERS[this.family]),
        });
      }
    }
    return out;
  }

  /** Deletes the table: whatever was forwarded goes back to the relay's sockets (or nowhere). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await runNft(this.#nft, `delete table ${this.family} ${this.table}\n`).catch((err) =>
      this.#log?.warn({ err: (err as Error).message, table: this.table }, "nftables table not deleted"),
    );
  }

  /** Queues a change; changes queued while `nft` runs go together in the next transaction. */
  #submit(ops: ElementOp[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#queue.splice(0, this.#queue.length);
        const ops = batch.flatMap((b) => b.ops);
        try {
          await runNft(this.#nft, this.#script(ops));
          for (const b of batch) b.resolve();
          continue;
        } catch {
          // One element that is not as expected (expired, left over) fails the whole transaction:
          // read what the maps hold and redo it once, without such conflicts — never one `nft`
          // run per element (each run reads every element of the table).
        }
        try {
          const held = await this.#elements();
          const fixed: string[] = [];
          for (const op of ops) {
            const has = held.has(`${op.map} ${op.key}`);
            if (op.add) {
              if (has) fixed.push(`delete element ${this.family} ${this.table} ${op.map} { ${op.key} }`);
              held.add(`${op.map} ${op.key}`);
            } else {
              if (!has) continue;
              held.delete(`${op.map} ${op.key}`);
            }
            fixed.push(line(this.family, this.table, op));
          }
          await runNft(this.#nft, `${fixed.join("\n")}\n`);
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err as Error);
        }
      }
    } finally {
      this.#running = false;
    }
    for (const b of this.#queue.splice(0)) b.resolve();
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}

/** The counter key of one end (what `counters()` returns it under). */
export function endKey(end: FlowEnd): string {
  return `${end.address} ${end.port} ${end.relayPort}`;
}

/** One element change: `add element … { key rest }` or `delete element … { key }`. */
interface ElementOp {
  add: boolean;
  map: "zones" | "dst_of" | "src_of";
  key: string;
  /** After the key when adding: timeout and value. */
  rest: string;
}

function line(family: NftFamily, table: string, op: ElementOp): string {
  return op.add
    ? `add element ${family} ${table} ${op.map} { ${op.key}${op.rest} }`
    : `delete element ${family} ${table} ${op.map} { ${op.key} }`;
}

function key(end: FlowEnd): string {
  return `${end.address} . ${end.port} . ${end.relayPort}`;
}

/** The table: `f` is the family (`ip`/`ip6`), also the keyword of its address expressions. */
function ruleset(f: NftFamily, table: string, min: number, max: number): string {
  const ports = `${min}-${max}`;
  const classify = `udp dport ${ports} ct zone set ${f} saddr . udp sport . udp dport map @zones ct timeout set "rtp_flow" accept`;
  return `table ${f} ${table} {
  ${ownerStatement()}
  ct timeout rtp_flow { protocol udp; l3proto ${f}; policy = { unreplied: 10, replied: 10 }; }
  map zones { typeof ${f} saddr . udp sport . udp dport : ct zone; flags timeout; counter; }
  map dst_of { typeof ${f} saddr . udp sport . udp dport : ${f} daddr . udp dport; flags timeout; }
  map src_of { typeof ct zone . ${f} daddr . udp dport : ${f} saddr . udp sport; flags timeout; }
  chain raw_prerouting { type filter hook prerouting priority raw; policy accept;
    ${classify}
    udp dport ${ports} notrack
  }
  chain raw_output { type filter hook output priority raw; policy accept;
    ${classify}
    udp dport ${ports} notrack
    udp sport ${ports} notrack
  }
  chain nat_prerouting { type nat hook prerouting priority dstnat; policy accept;
    udp dport ${ports} dnat ${f} to ${f} saddr . udp sport . udp dport map @dst_of
  }
  chain nat_output { type nat hook output priority -100; policy accept;
    udp dport ${ports} dnat ${f} to ${f} saddr . udp sport . udp dport map @dst_of
  }
  chain nat_postrouting { type nat hook postrouting priority srcnat; policy accept;
    ct zone != 0 snat ${f} to ct zone . ${f} daddr . udp dport map @src_of
  }
}
`;
}

function sourceAddressFor(family: NftFamily, bind: string, advertised: string): string {
  if (bind !== "0.0.0.0" && bind !== "::") return bind;
  const want = family === "ip" ? "IPv4" : "IPv6";
  const local = Object.values(networkInterfaces())
    .flat()
    .some((i) => i?.family === want && i.address === advertised);
  if (!local) {
    throw new KernelPathUnavailable(
      `relay bound to 0.0.0.0 and its advertised address ${advertised} is not local: set media.bindAddress`,
    );
  }
  return advertised;
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1";
}

function readSysctl(name: string): string {
  try {
    return readFileSync(`/proc/sys/${name}`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Runs `nft` with `input` on stdin as a script (`-f -`), or with `args`; resolves stdout. */
function runNft(nft: string, input: string | undefined, args: string[] = ["-f", "-"]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", (e) => reject(new Error(`${nft}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(err.split("\n")[0] || `${nft} exited ${code}`));
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}
