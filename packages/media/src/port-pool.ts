import { createSocket, type Socket } from "node:dgram";
import { PortsExhaustedError } from "./errors.js";

/**
 * Even/odd RTP/RTCP port pairs from a range, handed out first-in first-out so a released
 * pair is reused as late as possible (stray packets of the old call then find nothing).
 * Pure bookkeeping: binding is `bindPair`'s job.
 */
export class PortPool {
  readonly min: number;
  readonly max: number;
  readonly size: number;
  #ring: Uint16Array;
  #head = 0;
  #count: number;
  #inUse: Uint8Array;

  constructor(min: number, max: number) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535) {
      throw new RangeError(`bad RTP port range ${min}-${max}`);
    }
    this.min = min % 2 === 0 ? min : min + 1;
    this.max = max;
    this.size = Math.max(0, Math.floor((this.max - this.min + 1) / 2));
    if (this.size === 0) throw new RangeError(`RTP port range ${min}-${max} holds no even/odd pair`);
    this.#ring = new Uint16Array(this.size);
    this.#inUse = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) this.#ring[i] = this.min + 2 * i;
    this.#count = this.size;
  }

  get available(): number {
    return this.#count;
  }

  /** The even (RTP) port of a free pair, or undefined when none is left. */
  take(): number | undefined {
    if (this.#count === 0) return undefined;
    const port = this.#ring[this.#head]!;
    this.#head = (this.#head + 1) % this.size;
    this.#count--;
    this.#inUse[(port - this.min) >> 1] = 1;
    return port;
  }

  /** Returns a pair to the pool; false (and no change) if it was not taken: a double release is harmless. */
  release(port: number): boolean {
    const slot = (port - this.min) >> 1;
    if (port % 2 !== 0 || slot < 0 || slot >= this.size || this.#inUse[slot] !== 1) return false;
    this.#inUse[slot] = 0;
    this.#ring[(this.#head + this.#count) % this.size] = port;
    this.#count++;
    return true;
  }

  isInUse(port: number): boolean {
    return this.#inUse[(port - this.min) >> 1] === 1;
  }
}

export interface BoundPair {
  port: number;
  rtp: Socket;
  rtcp: Socket;
}

/**
 * Takes pairs until both ports bind. A pair someone else holds goes back at the end of
 * the queue (it may be free later) and the next is tried, at most once per pair.
 */
export async function bindPair(pool: PortPool, address: string, recvBufferSize = 0): Promise<BoundPair> {
  const attempts = pool.available;
  for (let i = 0; i < attempts; i++) {
    const port = pool.take();
    if (port === undefined) break;
    const rtp = await bindOne(address, port, recvBufferSize);
    if (rtp) {
      const rtcp = await bindOne(address, port + 1, recvBufferSize);
      if (rtcp) return { port, rtp, rtcp };
      rtp.close();
    }
    pool.release(port);
  }
  throw new PortsExhaustedError(pool.min, pool.max);
}

function bindOne(address: string, port: number, recvBufferSize: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const udp6 = address.includes(":");
    const socket = createSocket({
      type: udp6 ? "udp6" : "udp4",
      reuseAddr: false,
      lookup: udp6 ? numeric6 : numeric4,
    });
    const onError = (): void => {
      socket.close();
      resolve(undefined);
    };
    socket.once("error", onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off("error", onError);
      if (recvBufferSize > 0) {
        try {
          socket.setRecvBufferSize(recvBufferSize);
        } catch {
          // The kernel caps it (net.core.rmem_max); the default buffer still works.
        }
      }
      resolve(socket);
    });
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

// The relay only ever sends to addresses it read from SDP or from a packet's source: numeric.
// Node's default lookup (dns.lookup) would still go through a deferred callback per send.
function numeric4(address: string, _options: unknown, callback: LookupCallback): void {
  callback(null, address, 4);
}

function numeric6(address: string, _options: unknown, callback: LookupCallback): void {
  callback(null, address, 6);
}
