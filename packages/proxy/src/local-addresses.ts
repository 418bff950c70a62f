import { networkInterfaces } from "node:os";
import type { SipStack } from "@centrex/sip";

/**
 * Which host:port pairs are this server, to recognise our own Route and Via
 * entries. A wildcard listener (0.0.0.0, ::) is every local address.
 */
export class LocalAddresses {
  readonly #hosts = new Set<string>();
  readonly #ports = new Set<number>();

  constructor(stack: SipStack, extraHosts: readonly string[] = []) {
    let wildcard = false;
    for (const b of stack.addresses()) {
      this.#ports.add(b.port);
      if (b.address === "0.0.0.0" || b.address === "::") wildcard = true;
      else this.#hosts.add(b.address.toLowerCase());
    }
    if (wildcard) {
      for (const list of Object.values(networkInterfaces())) {
        for (const i of list ?? []) this.#hosts.add(i.address.toLowerCase());
      }
    }
    for (const h of extraHosts) this.#hosts.add(h.toLowerCase());
  }

  isOurs(host: string, port: number | undefined): boolean {
    const h = host.startsWith("[") ? host.slice(1, -1).toLowerCase() : host.toLowerCase();
    return this.#hosts.has(h) && this.#ports.has(port ?? 5060);
  }
}
