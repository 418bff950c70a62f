import type { Socket } from "node:net";
import type { FramingError } from "./errors.js";
import { type FramerSink, StreamFramer } from "./stream-framer.js";
import type { InboundSource, SendTarget, StreamTransport } from "./types.js";

/** What a {@link Connection} reports to the layer that owns it. */
export interface ConnectionOwner {
  onStreamMessage(conn: Connection, message: Buffer): void;
  onStreamPing(conn: Connection): void;
  onStreamFramingError(conn: Connection, error: FramingError): void;
}

/** One TCP or TLS connection, inbound or outbound, with its framer and bookkeeping. */
export class Connection implements FramerSink {
  readonly id: number;
  readonly transport: StreamTransport;
  readonly socket: Socket;
  readonly inbound: boolean;
  readonly framer: StreamFramer;
  /** Key in the layer's address:port map. */
  readonly key: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Built once the connection is established; shared by every message it delivers. */
  source: InboundSource | undefined;
  lastActivity: number;
  connected: boolean;
  /** Set once we decided to close it: no longer used for sends. */
  closing = false;
  /** Outbound, while connecting: messages to write once connected. */
  pending: Buffer[] | undefined;
  /** Outbound, while connecting: settles when connected (true) or failed (false). */
  ready: Promise<boolean> | undefined;
  settle: ((ok: boolean) => void) | undefined;
  connectTimer: NodeJS.Timeout | undefined;
  /** Outbound: the target of the send that opened it, reported if connecting fails. */
  failTarget: SendTarget | undefined;
  private readonly owner: ConnectionOwner;

  constructor(
    owner: ConnectionOwner,
    id: number,
    transport: StreamTransport,
    socket: Socket,
    inbound: boolean,
    remoteAddress: string,
    remotePort: number,
    maxMessageSize: number,
    now: number,
  ) {
    this.owner = owner;
    this.id = id;
    this.transport = transport;
    this.socket = socket;
    this.inbound = inbound;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.key = connectionKey(transport, remoteAddress, remotePort);
    this.framer = new StreamFramer(this, maxMessageSize);
    this.lastActivity = now;
    this.connected = inbound;
  }

  /** Fills `source` from the socket once its local end is known. */
  established(): void {
    const s = this.socket;
    this.connected = true;
    this.source = {
      transport: this.transport,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      family: s.remoteFamily === "IPv6" ? 6 : 4,
      localAddress: s.localAddress ?? "",
      localPort: s.localPort ?? 0,
      connectionId: this.id,
    };
  }

  onFrame(message: Buffer): void {
    this.owner.onStreamMessage(this, message);
  }

  onPing(): void {
    this.owner.onStreamPing(this);
  }

  onFramingError(error: FramingError): void {
    this.owner.onStreamFramingError(this, error);
  }
}

export function connectionKey(transport: string, address: string, port: number): string {
  return `${transport}|${address}|${port}`;
}
