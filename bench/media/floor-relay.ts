// The floor of any Node `dgram` relay, as a reference beside centrex's in one run: per call
// two sockets (one per phone), latch the first source and connect() to it, forward every
// datagram to the other phone with `send(msg)` — no RTCP, no validation, no statistics, no
// timeouts, no re-latching. What centrex's relay costs above this is centrex's own code;
// what this costs above rtpengine is Node's `dgram` (Buffer and rinfo per datagram, a
// SendWrap and callback scope per send). Speaks the MediaController interface so the bench
// drives it over the same control protocol. Not a relay to use: it is a measuring stick.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { CallStats, MediaController, MediaControllerDelegate } from "@centrex/media";

class Side {
  peer: Side | undefined;
  #connecting = false;
  /** connect() finished: `send(msg)` needs no address (before that it would throw). */
  latched = false;
  constructor(readonly socket: Socket) {
    socket.on("message", this.onMessage);
    // A phone's port closed (ICMP, surfaced as ECONNREFUSED on the next recvmsg): not a crash.
    socket.on("error", () => {});
  }

  readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (!this.#connecting) {
      this.#connecting = true;
      this.socket.connect(rinfo.port, rinfo.address, () => {
        this.latched = true;
      });
      return; // the first packet only latches
    }
    const peer = this.peer;
    if (peer?.latched === true) peer.socket.send(msg);
  };
}

function bind(address: string, port: number, recvBufferSize: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket(address.includes(":") ? "udp6" : "udp4");
    s.once("error", reject);
    s.bind({ port, address, exclusive: true }, () => {
      s.off("error", reject);
      s.setRecvBufferSize(recvBufferSize);
      resolve(s);
    });
  });
}

/** The offer/answer pointed at the floor relay's socket (the raw-handle floor uses it too). */
export const rewrite = (sdp: string, address: string, port: number): string =>
  sdp
    .replace(/c=IN IP[46] \S+/, `c=IN ${address.includes(":") ? "IP6" : "IP4"} ${address}`)
    .replace(/m=audio \d+/, `m=audio ${port}`);

export class FloorRelay implements MediaController {
  delegate: MediaControllerDelegate | undefined;
  #calls = new Map<string, [Side, Side]>();
  #next: number;
  #idle: Socket[] = [];

  constructor(
    readonly address: string,
    portMin: number,
    readonly recvBufferSize: number,
    readonly idleSockets = 0,
  ) {
    this.#next = portMin;
  }

  async offer(callId: string, _fromTag: string, sdp: string): Promise<string> {
    const a = new Side(await bind(this.address, this.#next++, this.recvBufferSize));
    const b = new Side(await bind(this.address, this.#next++, this.recvBufferSize));
    // `idleSockets`: bound, listened to, never sent to (as centrex's RTCP ports are in the bench).
    for (let i = 0; i < this.idleSockets; i++) {
      const s = await bind(this.address, this.#next++, this.recvBufferSize);
      s.on("message", () => {});
      this.#idle.push(s);
    }
    a.peer = b;
    b.peer = a;
    this.#calls.set(callId, [a, b]);
    return rewrite(sdp, this.address, b.socket.address().port); // phone B sends to b
  }

  async answer(callId: string, _toTag: string, sdp: string): Promise<string> {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`unknown call ${callId}`);
    return rewrite(sdp, this.address, call[0].socket.address().port); // phone A sends to a
  }

  async delete(callId: string): Promise<boolean> {
    const call = this.#calls.get(callId);
    if (call === undefined) return false;
    this.#calls.delete(callId);
    for (const s of call) s.socket.close();
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
    for (const s of this.#idle.splice(0)) s.close();
  }
}
