// The floor relay (floor-relay.ts) on Node's raw UDP handles instead of `dgram`: the same
// behaviour — two sockets per call, latch the first source and connect() to it, forward every
// later datagram to the other phone — but each socket is a `process.binding("udp_wrap").UDP`
// handle: `onmessage` is called straight from C++ (no `dgram` `onMessage`, no EventEmitter
// `emit`), and a send is one `handle.send(req, [buf], 1, false)` with no argument checks,
// `afterDns` closure, async-id scope or new `SendWrap`: the request object is reused while the
// kernel takes each datagram at once (`UDPWrap::Send` tries `uv_udp_try_send` first and returns
// bytes + 1; only a 0 — queued in libuv — hands the request to C++ until it completes). What is
// left is what C++ does per datagram (the 64 KB read buffer, the `Buffer` and `rinfo` objects,
// `MakeCallback`) and the system calls. A measuring stick, as the floor is.
import type { CallStats, MediaController, MediaControllerDelegate } from "@centrex/media";
import { rewrite } from "./floor-relay.js";

interface RawUdp {
  bind(address: string, port: number, flags: number): number;
  bind6(address: string, port: number, flags: number): number;
  connect(address: string, port: number): number;
  connect6(address: string, port: number): number;
  send(req: object, list: Buffer[], count: number, hasCallback: boolean): number;
  recvStart(): number;
  bufferSize(size: number, recv: boolean, ctx: object): number;
  getsockname(out: { port?: number }): number;
  close(cb?: () => void): void;
  onmessage: (
    nread: number,
    handle: RawUdp,
    buf: Buffer | undefined,
    rinfo: { address: string; port: number },
  ) => void;
}
interface UdpWrapBinding {
  UDP: new () => RawUdp;
  SendWrap: new () => object & { list?: Buffer[] };
}
const binding = (process as unknown as { binding(name: string): UdpWrapBinding }).binding("udp_wrap");

class Side {
  peer: Side | undefined;
  #connecting = false;
  latched = false;
  /** Reused while sends complete synchronously; replaced once libuv keeps one queued. */
  #req = new binding.SendWrap();
  readonly #list: Buffer[] = [Buffer.alloc(0)];
  constructor(
    readonly handle: RawUdp,
    readonly v6: boolean,
  ) {
    handle.onmessage = this.onMessage;
  }

  readonly onMessage = (
    nread: number,
    _h: RawUdp,
    buf: Buffer | undefined,
    rinfo: { address: string; port: number },
  ): void => {
    if (nread < 0 || buf === undefined) return; // ICMP error on a connected socket: not a crash
    if (!this.#connecting) {
      this.#connecting = true;
      const err = this.v6
        ? this.handle.connect6(rinfo.address, rinfo.port)
        : this.handle.connect(rinfo.address, rinfo.port);
      this.latched = err === 0;
      return; // the first packet only latches
    }
    const peer = this.peer;
    if (peer?.latched === true) peer.send(buf);
  };

  send(buf: Buffer): void {
    const list = this.#list;
    list[0] = buf;
    const r = this.handle.send(this.#req, list, 1, false);
    if (r === 0) {
      // Queued: C++ holds this request (and must keep the buffer alive) until it is sent.
      this.#req.list = [buf];
      this.#req = new binding.SendWrap();
    }
  }
}

function bind(address: string, port: number, recvBufferSize: number): RawUdp {
  const h = new binding.UDP();
  const v6 = address.includes(":");
  const err = v6 ? h.bind6(address, port, 0) : h.bind(address, port, 0);
  if (err !== 0) throw new Error(`bind ${address}:${port}: error ${err}`);
  h.bufferSize(recvBufferSize, true, {});
  h.recvStart();
  return h;
}

export class FloorRawRelay implements MediaController {
  delegate: MediaControllerDelegate | undefined;
  #calls = new Map<string, [Side, Side]>();
  #next: number;

  constructor(
    readonly address: string,
    portMin: number,
    readonly recvBufferSize: number,
  ) {
    this.#next = portMin;
  }

  #side(): Side {
    return new Side(bind(this.address, this.#next++, this.recvBufferSize), this.address.includes(":"));
  }

  async offer(callId: string, _fromTag: string, sdp: string): Promise<string> {
    const a = this.#side();
    const b = this.#side();
    a.peer = b;
    b.peer = a;
    this.#calls.set(callId, [a, b]);
    return rewrite(sdp, this.address, this.#next - 1); // phone B sends to b
  }

  async answer(callId: string, _toTag: string, sdp: string): Promise<string> {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`unknown call ${callId}`);
    const out: { port?: number } = {};
    call[0].handle.getsockname(out);
    return rewrite(sdp, this.address, out.port!); // phone A sends to a
  }

  async delete(callId: string): Promise<boolean> {
    const call = this.#calls.get(callId);
    if (call === undefined) return false;
    this.#calls.delete(callId);
    for (const s of call) s.handle.close();
    return true;
  }

  async query(callId: string): Promise<CallStats> {
    throw new Error(`the floor relay keeps no statistics (${callId})`);
  }

  async list(): Promise<string[]> {
    return [...this.#calls.keys()];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const id of [...this.#calls.keys()]) await this.delete(id);
  }
}
