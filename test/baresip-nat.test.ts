import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { whyNotHeard } from "./helpers/audio.js";
import { connect, hangUp, LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { passwordOf } from "./helpers/passwords.js";

// Phone B sits behind a NAT. The NAT box below plays a home router: B's SIP and RTP leave
// through it from ports B does not know, and what B writes in its Contact and SDP is its
// "private" address, 127.0.0.99, where nothing answers (baresip is not there; a sink in the
// NAT box swallows and counts what is sent to B's private media port). A call only has
// two-way audio if the switch fixes B's Contact from the packet source and its media relay
// latches onto the address B's RTP really comes from (symmetric RTP, RFC 4961; "comedia").
const DOMAIN = "pbx.test";
const PRIVATE = "127.0.0.99";
const PUBLIC = "127.0.0.1";
const TONE_A = 1000;
const TONE_B = 2000;

/**
 * One NAT mapping: packets reaching `inner` from the phone leave from a fresh socket
 * (`outer`, another port) towards `destination`; whatever reaches `outer`, from anyone,
 * goes back to the phone from `inner` (a full-cone NAT).
 */
class Forward {
  readonly #outer = new Map<string, Socket>();

  constructor(
    readonly inner: Socket,
    public destination: { address: string; port: number },
    readonly outbound: (msg: Buffer) => Buffer = (m) => m,
    readonly inbound: (msg: Buffer) => Buffer = (m) => m,
  ) {
    inner.on("message", (msg, from) => this.#fromPhone(msg, from));
    inner.on("error", () => {});
  }

  #fromPhone(msg: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let outer = this.#outer.get(key);
    if (outer === undefined) {
      const created = createSocket("udp4");
      created.on("error", () => {}); // an ICMP error must not end the test process
      created.bind(0, PUBLIC);
      created.on("message", (reply) => {
        this.inner.send(this.inbound(reply), from.port, from.address);
      });
      this.#outer.set(key, created);
      outer = created;
    }
    outer.send(this.outbound(msg), this.destination.port, this.destination.address);
  }

  close(): void {
    this.inner.close();
    for (const s of this.#outer.values()) s.close();
    this.#outer.clear();
  }
}

/** A NAT with a SIP-aware inbound side: the switch's SDP is pointed at NAT media ports. */
class NatBox {
  readonly #forwards: Forward[] = [];
  /** Pre-opened RTP/RTCP port pairs (binding is asynchronous; SIP rewriting is not). */
  readonly #spare: [Forward, Forward][] = [];
  readonly #media = new Map<string, number>();
  sipPort = 0;
  /** Media mappings opened (one per distinct remote RTP address). */
  mediaMappings = 0;
  /** SDP bodies from the phone given the private address. */
  privateOffers = 0;
  /**
   * The phone's "private" media ports: sockets on the private address that drop what they
   * get (baresip binds RTP on 0.0.0.0, so its own port on any loopback address would reach it).
   */
  readonly #sinks: Socket[] = [];
  readonly #sinkFor = new Map<number, number>();
  /** Packets the relay sent to the private address (not a failure: it may try before latching). */
  packetsToPrivate = 0;

  static async open(switchAddress: string, switchPort: number): Promise<NatBox> {
    const nat = new NatBox();
    const sip = await bindUdp(PUBLIC, 0);
    nat.sipPort = sip.address().port;
    nat.#forwards.push(
      new Forward(
        sip,
        { address: switchAddress, port: switchPort },
        (m) => nat.#fromPhone(m),
        (m) => nat.#toPhone(m),
      ),
    );
    for (let i = 0; i < 2; i++) {
      for (const sink of await bindPair(PRIVATE)) {
        sink.on("message", () => {
          nat.packetsToPrivate++;
        });
        sink.on("error", () => {});
        nat.#sinks.push(sink);
      }
    }
    for (let i = 0; i < 4; i++) {
      const [rtp, rtcp] = await bindPair(PUBLIC);
      const unset = { address: PRIVATE, port: 9 };
      const pair: [Forward, Forward] = [new Forward(rtp, unset), new Forward(rtcp, unset)];
      nat.#forwards.push(...pair);
      nat.#spare.push(pair);
    }
    return nat;
  }

  /** The phone writes its private address in Contact and SDP (`c=`), as a phone behind NAT does. */
  #fromPhone(msg: Buffer): Buffer {
    const { head, body } = split(msg.toString("latin1"));
    const fixedHead = head.replace(/^(Contact|m):[^\r\n]*$/gim, (line) =>
      line.replaceAll(`@${PUBLIC}:`, `@${PRIVATE}:`),
    );
    const fixedBody = body
      .replace(/^c=IN IP4 [^\r\n]*$/gm, `c=IN IP4 ${PRIVATE}`)
      .replace(/^m=audio (\d+)/m, (_, port: string) => `m=audio ${this.#privatePort(Number(port))}`);
    if (fixedBody !== body) this.privateOffers++;
    return join2(fixedHead, fixedBody);
  }

  #privatePort(port: number): number {
    let sink = this.#sinkFor.get(port);
    if (sink === undefined) {
      const socket = this.#sinks[2 * this.#sinkFor.size];
      if (socket === undefined) throw new Error("NAT: out of private port pairs");
      sink = socket.address().port;
      this.#sinkFor.set(port, sink);
    }
    return sink;
  }

  /** Points the remote side's media at a NAT port: the phone's RTP then leaves through the NAT. */
  #toPhone(msg: Buffer): Buffer {
    const { head, body } = split(msg.toString("latin1"));
    const address = body.match(/^c=IN IP4 ([^\s]+)/m)?.[1];
    const port = Number(body.match(/^m=audio (\d+)/m)?.[1]);
    if (address === undefined || !Number.isInteger(port) || port === 0) return msg;
    const key = `${address}:${port}`;
    let natPort = this.#media.get(key);
    if (natPort === undefined) {
      const pair = this.#spare.shift();
      if (pair === undefined) throw new Error("NAT: out of media port pairs");
      pair[0].destination = { address, port };
      pair[1].destination = { address, port: port + 1 };
      natPort = pair[0].inner.address().port;
      this.#media.set(key, natPort);
      this.mediaMappings++;
    }
    const fixedBody = body
      .replace(/^c=IN IP4 [^\r\n]*$/gm, `c=IN IP4 ${PUBLIC}`)
      .replace(/^m=audio \d+/m, `m=audio ${natPort}`);
    return join2(head, fixedBody);
  }

  close(): void {
    for (const f of this.#forwards) f.close();
    this.#forwards.length = 0;
    for (const s of this.#sinks) s.close();
    this.#sinks.length = 0;
  }
}

/** Two UDP sockets on consecutive ports (RTP, then RTCP on RTP + 1, as the phone assumes). */
async function bindPair(address: string): Promise<[Socket, Socket]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const rtp = await bindUdp(address, 0);
    const port = rtp.address().port;
    if (port < 65535) {
      try {
        return [rtp, await bindUdp(address, port + 1)];
      } catch {}
    }
    rtp.close();
  }
  throw new Error("NAT: no free consecutive port pair");
}

function bindUdp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", (err) => {
      s.close();
      reject(err);
    });
    s.bind(port, address, () => {
      s.removeAllListeners("error");
      s.on("error", () => {}); // an ICMP error must not end the test process
      resolve(s);
    });
  });
}

function split(text: string): { head: string; body: string } {
  const at = text.indexOf("\r\n\r\n");
  return at < 0 ? { head: text, body: "" } : { head: text.slice(0, at), body: text.slice(at + 4) };
}

function join2(head: string, body: string): Buffer {
  const fixed = head.replace(
    /^(Content-Length|l)\s*:\s*\d+/im,
    `Content-Length: ${Buffer.byteLength(body, "latin1")}`,
  );
  return Buffer.from(`${fixed}\r\n\r\n${body}`, "latin1");
}

const phones = new Phones();
let nat: NatBox | undefined;
const pbx = new LazySwitch({
  domain: DOMAIN,
  extensions: [
    ["201", passwordOf("201")],
    ["202", passwordOf("202")],
  ],
  // The default, spelled out: this test is about it.
  media: ["latching: lock"],
});

test.after(async () => {
  await phones.stopAll();
  nat?.close();
  await pbx.stop();
});

test("callee behind NAT (private Contact and SDP): the call has two-way audio through the relay", async () => {
  const { sw, proxy } = await pbx.get();
  nat = await NatBox.open(sw.address, sw.port);
  const throughNat = `sip:${PUBLIC}:${nat.sipPort};transport=udp`;
  const a = await phones.registered({ name: "A", tone: TONE_A, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B-nat",
    tone: TONE_B,
    ext: "202",
    domain: DOMAIN,
    proxy: throughNat,
  });

  await connect(a, b, `sip:202@${DOMAIN}`);
  // What the switch got from B is a private Contact and SDP; B's RTP leaves through the NAT.
  assert.ok(nat.privateOffers >= 1, "B's SDP reached the switch with its private address");
  assert.is(nat.mediaMappings, 1, "B was told one media address, a NAT port");

  await sleep(3000);
  await hangUp(a, b);

  const private_ = `${nat.packetsToPrivate} packets reached B's private address`;
  const heardByA = whyNotHeard(a.recordedWav(), TONE_B, TONE_A);
  const heardByB = whyNotHeard(b.recordedWav(), TONE_A, TONE_B);
  assert.ok(heardByA === undefined, `A (should hear the NAT'd B's ${TONE_B} Hz): ${heardByA}; ${private_}`);
  assert.ok(heardByB === undefined, `B behind NAT (should hear A's ${TONE_A} Hz): ${heardByB}; ${private_}`);

  // The relay's own counters: both legs sent it about 3 s of 20 ms packets.
  const line = await sw.logLine(/"event":"media-stats"/);
  assert.ok(line !== undefined, "no media-stats line for the call");
  const legs = (JSON.parse(line) as { legs: { packets: number }[] }).legs;
  assert.is(legs.length, 2);
  for (const leg of legs) assert.ok(leg.packets > 100, `a leg sent only ${leg.packets} packets to the relay`);
});

test.run();
