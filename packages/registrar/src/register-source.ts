/** Where a REGISTER physically came from: the NAT-facing flow a phone is reachable on. */
export interface RegisterSource {
  readonly transport: "UDP" | "TCP" | "TLS";
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly connectionId?: number;
}
