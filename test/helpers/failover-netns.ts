import { spawnSync } from "node:child_process";

// Network namespaces a test creates for itself and deletes after: one for the phones (holding
// the bridge that is their LAN), one per node, each node joined to the LAN by a veth pair.
// Traffic never leaves them.

export interface PairNetns {
  phones: string;
  a: string;
  b: string;
  /** Each node's interface on the LAN, inside its own namespace. */
  ifName: string;
  delete(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

/**
 * `PREFIX-ph` with bridge `lan` (the phones' 10.99.0.1/24, fd99::1/64, and a carrier's
 * 10.99.0.4/24), `PREFIX-a` and
 * `PREFIX-b` with `lan0` at 10.99.0.2 / 10.99.0.3 (fd99::2 / fd99::3). Every namespace has lo up.
 */
export function createPairNetns(prefix: string): PairNetns {
  const names = { phones: `${prefix}-ph`, a: `${prefix}-a`, b: `${prefix}-b` };
  const del = (): void => {
    for (const n of Object.values(names)) spawnSync("ip", ["netns", "del", n], { stdio: "ignore" });
  };
  del();
  try {
    for (const n of Object.values(names)) {
      ip("netns", "add", n);
      ip("-n", n, "link", "set", "lo", "up");
    }
    ip("-n", names.phones, "link", "add", "lan", "type", "bridge");
    ip("-n", names.phones, "link", "set", "lan", "up");
    ip("-n", names.phones, "addr", "add", "10.99.0.1/24", "dev", "lan");
    ip("-n", names.phones, "addr", "add", "fd99::1/64", "dev", "lan", "nodad");
    // A carrier on the same LAN (its own address: the switch knows carriers by address).
    ip("-n", names.phones, "addr", "add", "10.99.0.4/24", "dev", "lan");
    for (const [node, n, host] of [
      ["a", names.a, 2],
      ["b", names.b, 3],
    ] as const) {
      ip(
        "link",
        "add",
        "lan0",
        "netns",
        n,
        "type",
        "veth",
        "peer",
        "name",
        `to-${node}`,
        "netns",
        names.phones,
      );
      ip("-n", names.phones, "link", "set", `to-${node}`, "master", "lan", "up");
      ip("-n", n, "link", "set", "lan0", "up");
      ip("-n", n, "addr", "add", `10.99.0.${host}/24`, "dev", "lan0");
      ip("-n", n, "addr", "add", `fd99::${host}/64`, "dev", "lan0", "nodad");
    }
  } catch (err) {
    del();
    throw err;
  }
  return { ...names, ifName: "lan0", delete: del };
}

/** The MAC of `ifName` in namespace `ns`. */
export function macOf(ns: string, ifName: string): string {
  const r = spawnSync("ip", ["-n", ns, "-j", "link", "show", "dev", ifName], { encoding: "utf8" });
  const [link] = JSON.parse(r.stdout) as { address: string }[];
  return link?.address ?? "";
}

/** The phones' neighbour entry for `address`: the MAC they send it to, or undefined. */
export function neighbourMac(ns: string, address: string): string | undefined {
  const r = spawnSync("ip", ["-n", ns, "-j", "neigh", "show", "to", address], { encoding: "utf8" });
  const [n] = JSON.parse(r.stdout || "[]") as { lladdr?: string }[];
  return n?.lladdr;
}
