import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import tls from "node:tls";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  createResponse,
  type InboundGuard,
  type ServerTransactionLike,
  type SipRequest,
  SipStack,
  type SipStackOptions,
  type TransactionUser,
} from "../src/index.js";

/** A TU answering 200 to everything but MESSAGE, which it keeps pending (a slow back end). */
class Tu implements TransactionUser {
  seen: string[] = [];
  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined): void {
    this.seen.push(`${req.method} ${req.callId}`);
    if (tx !== undefined && req.method !== "MESSAGE") tx.respond(createResponse(req, 200, "OK"));
  }
  onStrayResponse(): void {}
}

class FakeGuard implements InboundGuard {
  banned = new Set<string>();
  scanners = ["friendly-scanner"];
  admit(address: string): boolean {
    return !this.banned.has(address);
  }
  admitUserAgent(_address: string, ua: string | undefined): boolean {
    return ua === undefined || !this.scanners.some((s) => ua.includes(s));
  }
  admitConnection(address: string): boolean {
    return !this.banned.has(address);
  }
}

async function startStack(opts: Partial<SipStackOptions> = {}) {
  const tu = new Tu();
  const stack = new SipStack(tu, {
    listen: [
      { transport: "UDP", address: "127.0.0.1", port: 0 },
      { transport: "TCP", address: "127.0.0.1", port: 0 },
    ],
    ...opts,
  });
  const bound = await stack.start();
  const port = (t: string) => bound.find((b) => b.transport === t)!.port;
  return { tu, stack, udpPort: port("UDP"), tcpPort: port("TCP") };
}

function request(method: string, callId: string, from: string, port: number, ua?: string): Buffer {
  return Buffer.from(
    `${method} sip:127.0.0.1 SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${from}:${port};branch=z9hG4bK-${callId};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: <sip:t@${from}>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ${callId}\r\n` +
      `CSeq: 1 ${method}\r\n` +
      (ua !== undefined ? `User-Agent: ${ua}\r\n` : "") +
      "Content-Length: 0\r\n\r\n",
    "latin1",
  );
}

/** A UDP client on `address` that collects the status lines it receives. */
async function udpClient(address: string) {
  const socket = dgram.createSocket("udp4");
  const got: string[] = [];
  socket.on("message", (m) => got.push(m.toString("latin1").split("\r\n", 1)[0]!));
  await new Promise<void>((r) => socket.bind(0, address, () => r()));
  return {
    got,
    port: socket.address().port,
    send: (buf: Buffer, port: number) =>
      new Promise<void>((r) => socket.send(buf, port, "127.0.0.1", () => r())),
    close: () => socket.close(),
  };
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

test("a source the guard refuses gets no answer and costs no parsing; others are answered", async () => {
  const guard = new FakeGuard();
  guard.banned.add("127.0.0.3");
  const { stack, udpPort, tu } = await startStack({ guard });
  const bad = await udpClient("127.0.0.3");
  const good = await udpClient("127.0.0.2");
  try {
    await bad.send(request("OPTIONS", "b1", "127.0.0.3", bad.port), udpPort);
    await bad.send(Buffer.from("garbage that would get a 400\r\n\r\n"), udpPort);
    await good.send(request("OPTIONS", "g1", "127.0.0.2", good.port), udpPort);
    await settle();
    assert.equal(bad.got, []);
    assert.equal(good.got, ["SIP/2.0 200 OK"]);
    assert.equal(tu.seen, ["OPTIONS g1"]);
    assert.is(stack.counters.guardDrops, 2);
    assert.is(stack.counters.parseErrors, 0, "the garbage was never parsed");
  } finally {
    bad.close();
    good.close();
    await stack.close(0);
  }
});

test("a request with a scanner User-Agent is dropped before validation and transactions", async () => {
  const { stack, udpPort, tu } = await startStack({ guard: new FakeGuard() });
  const c = await udpClient("127.0.0.2");
  try {
    await c.send(request("OPTIONS", "s1", "127.0.0.2", c.port, "friendly-scanner"), udpPort);
    await c.send(request("OPTIONS", "s2", "127.0.0.2", c.port, "Yealink SIP-T46U"), udpPort);
    await settle();
    assert.equal(c.got, ["SIP/2.0 200 OK"]);
    assert.equal(tu.seen, ["OPTIONS s2"]);
    assert.is(stack.transactions.serverCount, 1);
  } finally {
    c.close();
    await stack.close(0);
  }
});

test("live server transactions per source are capped; other sources and retransmissions still pass", async () => {
  const { stack, udpPort, tu } = await startStack({ maxTransactionsPerSource: 2 });
  const a = await udpClient("127.0.0.2");
  const b = await udpClient("127.0.0.4");
  try {
    for (const id of ["m1", "m2", "m3", "m4"])
      await a.send(request("MESSAGE", id, "127.0.0.2", a.port), udpPort);
    await b.send(request("MESSAGE", "n1", "127.0.0.4", b.port), udpPort);
    await settle();
    assert.equal(tu.seen, ["MESSAGE m1", "MESSAGE m2", "MESSAGE n1"]);
    assert.is(stack.transactions.sourceLimitDrops, 2);
    // OPTIONS answered at once still finds room once a MESSAGE transaction ends.
    await a.send(request("MESSAGE", "m1", "127.0.0.2", a.port), udpPort); // retransmission: matched, not new
    await settle();
    assert.is(tu.seen.length, 3);
  } finally {
    a.close();
    b.close();
    await stack.close(0);
  }
});

test("a response with a malformed Via is dropped as a parse error, not thrown (found by the network fuzzer)", async () => {
  const errors: string[] = [];
  const logger = pino(
    { level: "error" },
    new Writable({
      write(chunk, _e, cb) {
        errors.push(String(chunk));
        cb();
      },
    }),
  );
  const { stack, udpPort } = await startStack({ logger });
  const c = await udpClient("127.0.0.2");
  try {
    const bad =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx;rport="5060\r\n' +
      "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    await c.send(Buffer.from(bad, "latin1"), udpPort);
    await settle();
    assert.is(stack.counters.parseErrors, 1);
    assert.equal(errors, []);
  } finally {
    c.close();
    await stack.close(0);
  }
});

function connect(port: number, localAddress: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress }, () =>
      resolve({ socket, closed: new Promise((r) => socket.once("close", () => r())) }),
    );
    socket.once("error", reject);
  });
}

async function isClosedSoon(c: { closed: Promise<void> }, ms = 300): Promise<boolean> {
  return Promise.race([c.closed.then(() => true), settle(ms).then(() => false)]);
}

test("TCP: connections per source capped, banned sources refused at accept", async () => {
  const guard = new FakeGuard();
  guard.banned.add("127.0.0.3");
  const { stack, tcpPort } = await startStack({ guard, maxConnectionsPerSource: 2 });
  const open: net.Socket[] = [];
  try {
    const c1 = await connect(tcpPort, "127.0.0.2");
    const c2 = await connect(tcpPort, "127.0.0.2");
    const c3 = await connect(tcpPort, "127.0.0.2");
    const other = await connect(tcpPort, "127.0.0.4");
    const banned = await connect(tcpPort, "127.0.0.3");
    open.push(c1.socket, c2.socket, c3.socket, other.socket, banned.socket);
    assert.not.ok(await isClosedSoon(c1));
    assert.not.ok(await isClosedSoon(c2));
    assert.ok(await isClosedSoon(c3), "third connection from one source refused");
    assert.not.ok(await isClosedSoon(other), "another source is not affected");
    assert.ok(await isClosedSoon(banned), "banned source refused");
    c1.socket.destroy();
    await c1.closed;
    await settle(100);
    const again = await connect(tcpPort, "127.0.0.2");
    open.push(again.socket);
    assert.not.ok(await isClosedSoon(again), "room again once one closed");
  } finally {
    for (const s of open) s.destroy();
    await stack.close(0);
  }
});

const tmp = mkdtempSync(join(tmpdir(), "centrex-tls-guard-"));
const certPath = join(tmp, "cert.pem");
const keyPath = join(tmp, "key.pem");
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-days",
    "1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ],
  { stdio: "ignore" },
);

async function tlsStack(opts: Partial<SipStackOptions>) {
  const stack = new SipStack(new Tu(), {
    listen: [{ transport: "TLS", address: "127.0.0.1", port: 0, tls: { cert: certPath, key: keyPath } }],
    ...opts,
  });
  const [b] = await stack.start();
  return { stack, port: b!.port };
}

function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({
      port,
      host: "127.0.0.1",
      ca: readFileSync(certPath),
      servername: "localhost",
      ...opts,
    });
    s.once("secureConnect", () => {
      const v = s.getProtocol() ?? "?";
      s.destroy();
      resolve(v);
    });
    s.once("error", () => resolve("refused"));
  });
}

test("TLS: 1.2 minimum by default, 1.3 when configured, and the cipher list is applied", async () => {
  const def = await tlsStack({});
  const strict = await tlsStack({ tlsMinVersion: "TLSv1.3" });
  const ciphers = await tlsStack({ tlsCiphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
  try {
    assert.is(
      await handshake(def.port, { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "ALL:@SECLEVEL=0" }),
      "refused",
    );
    assert.is(await handshake(def.port, { maxVersion: "TLSv1.2" }), "TLSv1.2");
    assert.is(await handshake(def.port, {}), "TLSv1.3");
    assert.is(await handshake(strict.port, { maxVersion: "TLSv1.2" }), "refused");
    assert.is(await handshake(strict.port, {}), "TLSv1.3");
    const tls12 = { maxVersion: "TLSv1.2" } as const;
    assert.is(
      await handshake(ciphers.port, { ...tls12, ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" }),
      "refused",
    );
    assert.is(
      await handshake(ciphers.port, { ...tls12, ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" }),
      "TLSv1.2",
    );
  } finally {
    await def.stack.close(0);
    await strict.stack.close(0);
    await ciphers.stack.close(0);
  }
});

test.run();
