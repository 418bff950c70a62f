import { spawn } from "node:child_process";
import { isIPv6 } from "node:net";
import { ownerStatement, removeStaleTables } from "@centrex/media";
import type { Logger } from "pino";

/**
 * Bans enforced by the kernel as well: an nftables table of centrex's own with one timed set
 * per address family, dropping banned sources' packets to the SIP ports before they reach the
 * process. Userspace bans already cost one Map lookup per packet, but a flood faster than the
 * process can read its socket fills the socket buffer and legitimate phones' packets are lost
 * with it; in the kernel the flood never reaches the buffer. Needs root (or CAP_NET_ADMIN) and
 * `nft`; without them the switch logs one line and keeps its userspace bans only.
 */
export class KernelBans {
  #queue: string[] = [];
  #running: Promise<void> | undefined;

  private constructor(
    readonly table: string,
    readonly logger: Logger,
  ) {}

  /** Creates the table for these SIP ports; undefined (and one log line) when nft is unavailable. */
  static async open(ports: readonly number[], logger: Logger): Promise<KernelBans | undefined> {
    const unique = [...new Set(ports)].sort((a, b) => a - b);
    if (unique.length === 0) return undefined;
    const table = `centrex_guard_${unique[0]}`;
    const stale = await removeStaleTables();
    if (stale.length > 0)
      logger.info({ tables: stale }, "removed nftables tables of exited centrex processes");
    try {
      await runNft(`table inet ${table}\ndelete table inet ${table}\n${ruleset(table, unique)}`);
    } catch (err) {
      logger.info(
        { event: "kernel-bans-off", reason: (err as Error).message },
        "bans enforced in userspace only (nftables not available to this process)",
      );
      return undefined;
    }
    logger.info({ event: "kernel-bans-on", table }, `bans also enforced by nftables (table inet ${table})`);
    return new KernelBans(table, logger);
  }

  /** Drops `address`'s packets to the SIP ports for `seconds`. */
  add(address: string, seconds: number): void {
    const set = isIPv6(address) ? "ban6" : "ban4";
    const s = Math.max(1, Math.ceil(seconds));
    // delete+add: an element already there keeps its old timeout otherwise.
    this.#enqueue(`add element inet ${this.table} ${set} { ${address} }`);
    this.#enqueue(`delete element inet ${this.table} ${set} { ${address} }`);
    this.#enqueue(`add element inet ${this.table} ${set} { ${address} timeout ${s}s }`);
  }

  /** Lifts one address, or all. */
  remove(address?: string): void {
    if (address === undefined) {
      this.#enqueue(`flush set inet ${this.table} ban4`);
      this.#enqueue(`flush set inet ${this.table} ban6`);
      return;
    }
    const set = isIPv6(address) ? "ban6" : "ban4";
    this.#enqueue(`add element inet ${this.table} ${set} { ${address} timeout 1s }`);
    this.#enqueue(`delete element inet ${this.table} ${set} { ${address} }`);
  }

  async close(): Promise<void> {
    await this.#running;
    await runNft(`delete table inet ${this.table}\n`).catch((err) =>
      this.logger.warn({ err, table: this.table }, "nftables table not removed"),
    );
  }

  /** Changes queued while nft runs go together in the next transaction (one process per batch). */
  #enqueue(line: string): void {
    this.#queue.push(line);
    if (this.#running !== undefined) return;
    this.#running = (async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await runNft(`${batch.join("\n")}\n`).catch((err) =>
          this.logger.warn({ err, event: "kernel-bans-failed" }, "nftables ban change failed"),
        );
      }
      this.#running = undefined;
    })();
  }
}

function ruleset(table: string, ports: readonly number[]): string {
  const p = ports.join(", ");
  return `table inet ${table} {
  ${ownerStatement()}
  set ban4 { type ipv4_addr; flags timeout; size 65536; }
  set ban6 { type ipv6_addr; flags timeout; size 65536; }
  chain input {
    type filter hook input priority -5; policy accept;
    ip saddr @ban4 meta l4proto { tcp, udp } th dport { ${p} } drop
    ip6 saddr @ban6 meta l4proto { tcp, udp } th dport { ${p} } drop
  }
}
`;
}

function runNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("nft", ["-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", (e) => reject(new Error(`nft: ${e.message}`)));
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(err.split("\n")[0] || `nft exited ${code}`)),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(script);
  });
}
