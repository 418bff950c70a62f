// rtpengine's "ng" control protocol: "<cookie> <bencoded dict>" over UDP, reply with the same cookie.
import { createSocket, type Socket } from "node:dgram";

type BValue = string | number | BValue[] | { [k: string]: BValue };

export function bencode(v: BValue): string {
  if (typeof v === "number") return `i${Math.trunc(v)}e`;
  if (typeof v === "string") return `${Buffer.byteLength(v)}:${v}`;
  if (Array.isArray(v)) return `l${v.map(bencode).join("")}e`;
  const keys = Object.keys(v).sort();
  return `d${keys.map((k) => bencode(k) + bencode(v[k]!)).join("")}e`;
}

export function bdecode(buf: Buffer): BValue {
  let i = 0;
  const next = (): BValue => {
    const c = buf[i]!;
    if (c === 0x69) {
      const end = buf.indexOf(0x65, i);
      const n = Number(buf.subarray(i + 1, end).toString());
      i = end + 1;
      return n;
    }
    if (c === 0x6c || c === 0x64) {
      i++;
      const list: BValue[] = [];
      while (buf[i] !== 0x65) {
        if (i >= buf.length) throw new Error("truncated bencode");
        list.push(next());
      }
      i++;
      if (c === 0x6c) return list;
      const dict: { [k: string]: BValue } = {};
      for (let k = 0; k < list.length; k += 2) dict[String(list[k])] = list[k + 1]!;
      return dict;
    }
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.subarray(i, colon).toString());
    const s = buf.subarray(colon + 1, colon + 1 + len).toString();
    i = colon + 1 + len;
    return s;
  };
  return next();
}

export class NgClient {
  #socket: Socket;
  #port: number;
  #n = 0;
  #pending = new Map<string, (v: Record<string, BValue>) => void>();

  constructor(port: number) {
    this.#port = port;
    this.#socket = createSocket("udp4");
    this.#socket.on("message", (msg) => {
      const sp = msg.indexOf(0x20);
      const cookie = msg.subarray(0, sp).toString();
      const cb = this.#pending.get(cookie);
      if (cb === undefined) return;
      this.#pending.delete(cookie);
      cb(bdecode(msg.subarray(sp + 1)) as Record<string, BValue>);
    });
  }

  request(dict: Record<string, BValue>, timeoutMs = 2000): Promise<Record<string, BValue>> {
    const cookie = `c${process.pid}_${++this.#n}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(cookie);
        reject(new Error(`ng ${String(dict.command)} timed out`));
      }, timeoutMs);
      this.#pending.set(cookie, (v) => {
        clearTimeout(timer);
        if (v.result !== "ok" && v.result !== "pong")
          reject(new Error(`ng ${String(dict.command)}: ${JSON.stringify(v)}`));
        else resolve(v);
      });
      this.#socket.send(`${cookie} ${bencode(dict)}`, this.#port, "127.0.0.1");
    });
  }

  close(): void {
    this.#socket.close();
  }
}
