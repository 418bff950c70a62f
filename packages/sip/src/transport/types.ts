/** Transports this layer carries (WebSocket is not implemented here). */
export type StreamTransport = "TCP" | "TLS";
export type LayerTransport = "UDP" | StreamTransport;

export interface TlsMaterial {
  /** PEM certificate chain, as bytes/text or a file path. */
  readonly cert: Buffer | string;
  /** PEM private key, as bytes/text or a file path. */
  readonly key: Buffer | string;
}

export interface ListenSpec {
  readonly transport: LayerTransport;
  /** A literal IPv4 or IPv6 address ("0.0.0.0", "::", "127.0.0.1", "::1"). */
  readonly address: string;
  /** 0 picks an ephemeral port; see {@link TransportLayer.addresses}. */
  readonly port: number;
  /** Required for TLS. */
  readonly tls?: TlsMaterial;
}

export interface BoundAddress {
  readonly transport: LayerTransport;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Where a message came from. One plain object; for streams, shared by every message of a connection. */
export interface InboundSource {
  readonly transport: LayerTransport;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly family: 4 | 6;
  readonly localAddress: string;
  readonly localPort: number;
  /** For TCP/TLS: the connection the message arrived on (answer on it). */
  readonly connectionId?: number;
}

export interface SendTarget {
  readonly transport: LayerTransport;
  /** A literal IP address. */
  readonly address: string;
  readonly port: number;
  /** TCP/TLS: the connection to write on when it is still open. */
  readonly connectionId?: number;
  /** UDP: prefer the socket bound to this local address/port (the one the request came in on). */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** TLS: the name to verify the peer's certificate against (SNI), when not the address. */
  readonly serverName?: string;
}

/** The single consumer of inbound traffic, given to the layer's constructor. */
export interface TransportDelegate {
  /**
   * One complete SIP message (UDP: one datagram; streams: one framed message). The buffer is
   * not reused by the layer. Exceptions thrown here are caught and logged.
   */
  onMessage(data: Buffer, source: InboundSource): void;
  /** A send that could not be carried out (also reported by `send`'s result). */
  onSendError?(error: Error, target: SendTarget): void;
}

export interface TransportStats {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Framed messages received on TCP/TLS connections. */
  streamMessagesIn: number;
  streamMessagesOut: number;
  framingErrors: number;
  /** Datagrams or stream messages refused for exceeding `maxMessageSize`. */
  oversizeDrops: number;
  keepalivePings: number;
  sendFailures: number;
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsOpened: number;
  /** Connections refused because `maxConnections` was reached. */
  connectionsRejected: number;
  connectionsIdleClosed: number;
}
