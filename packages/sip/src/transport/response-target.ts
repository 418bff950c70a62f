import type { InboundSource, LayerTransport, SendTarget } from "./types.js";

/** The parts of the topmost Via that routing needs (a parsed `Via` fits). */
export interface ViaForRouting {
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly received: string | undefined;
  /** `null` when the request carried `rport` without a value (RFC 3581 asks for the source port). */
  readonly rport: number | null | undefined;
}

const SIP_PORT = 5060;

/**
 * Where to send a response to a request (RFC 3261 §18.2.2, RFC 3581), with our safety rule:
 * the address is always the packet's source address, never a Via host that differs from it
 * (so a forged Via cannot make us send traffic to a third party).
 *
 * - TCP/TLS: back on the connection the request came in on, at the source address and port.
 * - UDP with rport: the source port. Without: the Via sent-by port (default 5060).
 */
export function responseTarget(via: ViaForRouting, source: InboundSource): SendTarget {
  const transport: LayerTransport = source.transport;
  if (transport !== "UDP") {
    return {
      transport,
      address: source.remoteAddress,
      port: source.remotePort,
      connectionId: source.connectionId,
    };
  }
  const port = via.rport !== undefined ? source.remotePort : (via.port ?? SIP_PORT);
  return {
    transport,
    address: source.remoteAddress,
    port,
    localAddress: source.localAddress,
    localPort: source.localPort,
  };
}
