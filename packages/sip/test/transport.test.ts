import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type InboundSource,
  responseTarget,
  type SendTarget,
  type TransportDelegate,
  TransportLayer,
  type TransportOptions,
} from "../src/transport/index.js";

// ---------------------------------------------------------------- helpers

class Inbox implements TransportDelegate {
  messages: { text: string; source: InboundSource }[] = [];
  sendErrors: { error: Error; target: SendTarget }[] = [];
  onMessage(data: Buffer, source: InboundSource): void {
    this.messages.push({ text: data.toString("latin1"), source });
  }
  onSendError(error: Error, target: SendTarget): void {
    this.sendErrors.push({ error, target });
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function request(callId: string, transport: string, body = ""): string {
  return (
    `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:5099;rport;branch=z9hG4bK${callId}\r\n` +
    `From: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function ok(callId: string): string {
  return `SIP/2.0 200 OK\r\nCall-ID: ${callId}\r\nContent-Length: 0\r\n\r\n`;
}

/** A raw stream client that accumulates what it receives. */
class RawClient {
  received = "";
  ended = false;
  closed = false;
  constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.received += d;
    });
    socket.on("end", () => {
      this.ended = true;
    });
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {});
  }
  static tcp(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }
  static tls(host: string, port: number, ca: Buffer): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host, port, ca }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }
  destroy(): void {
    this.socket.destroy();
  }
}

const tmp = mkdtempSync(join(tmpdir(), "centrex-tls-"));
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
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
    "-days",
    "1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ],
  { stdio: "ignore" },
);
const cert = readFileSync(certPath);

async function layerOn(
  specs: Parameters<TransportLayer["listen"]>[0],
  options: TransportOptions = {},
): Promise<{ layer: TransportLayer; inbox: Inbox; port: (t: string, family?: 4 | 6) => number }> {
  const inbox = new Inbox();
  const layer = new TransportLayer(inbox, options);
  await layer.listen(specs);
  const port = (t: string, family: 4 | 6 = 4) => {
    const a = layer.addresses().find((x) => x.transport === t && x.family === family);
    if (a === undefined) throw new Error(`no ${t} IPv${family} listener`);
    return a.port;
  };
  return { layer, inbox, port };
}

// ---------------------------------------------------------------- UDP

const udp = suite("UDP");

udp("round trip on IPv4 and IPv6, answered from the receiving socket to the rport", async () => {
  const { layer, inbox, port } = await layerOn([
    { transport: "UDP", address: "127.0.0.1", port: 0 },
    { transport: "UDP", address: "::1", port: 0 },
  ]);
  for (const [family, host] of [
    [4, "127.0.0.1"],
    [6, "::1"],
  ] as const) {
    const client = dgram.createSocket(family === 4 ? "udp4" : "udp6");
    await new Promise<void>((r) => client.bind(0, host, () => r()));
    const replies: string[] = [];
    const replyFrom: number[] = [];
    client.on("message", (m, rinfo) => {
      replies.push(m.toString());
      replyFrom.push(rinfo.port);
    });
    const before = inbox.messages.length;
    client.send(request(`u${family}`, "UDP"), port("UDP", family), host);
    await waitFor(() => inbox.messages.length > before, "UDP request");
    const { text, source } = inbox.messages[before]!;
    assert.is(text, request(`u${family}`, "UDP"));
    assert.is(source.transport, "UDP");
    assert.is(source.family, family);
    assert.is(source.remoteAddress, host);
    assert.is(source.remotePort, client.address().port);
    assert.is(source.localPort, port("UDP", family));
    const target = responseTarget(
      { transport: "UDP", host: "127.0.0.1", port: 5099, received: undefined, rport: null },
      source,
    );
    assert.is(layer.send(Buffer.from(ok(`u${family}`)), target), true);
    await waitFor(() => replies.length === 1, "UDP response");
    assert.is(replies[0], ok(`u${family}`));
    assert.is(replyFrom[0], port("UDP", family));
    client.close();
  }
  const s = layer.stats();
  assert.is(s.datagramsIn, 2);
  assert.is(s.datagramsOut, 2);
  assert.ok(s.bytesIn > 0 && s.bytesOut > 0);
  await layer.close();
});

udp("oversize datagrams and CRLF keepalives are not passed up", async () => {
  const { layer, inbox, port } = await layerOn([{ transport: "UDP", address: "127.0.0.1", port: 0 }], {
    maxMessageSize: 300,
  });
  const client = dgram.createSocket("udp4");
  client.send(request("big", "UDP", "x".repeat(400)), port("UDP"), "127.0.0.1");
  client.send("\r\n\r\n", port("UDP"), "127.0.0.1");
  client.send(request("small", "UDP"), port("UDP"), "127.0.0.1");
  await waitFor(() => layer.stats().datagramsIn === 3, "3 datagrams");
  await waitFor(() => inbox.messages.length === 1, "the small one");
  assert.match(inbox.messages[0]!.text, /Call-ID: small/);
  assert.is(layer.stats().oversizeDrops, 1);
  assert.is(layer.stats().keepalivePings, 1);
  client.close();
  await layer.close();
});

udp("a throwing handler does not break the layer", async () => {
  let calls = 0;
  const layer = new TransportLayer({
    onMessage() {
      calls++;
      if (calls === 1) throw new Error("handler bug");
    },
  });
  await layer.listen([{ transport: "UDP", address: "127.0.0.1", port: 0, tls: undefined }]);
  const p = layer.addresses()[0]!.port;
  const client = dgram.createSocket("udp4");
  client.send(request("1", "UDP"), p, "127.0.0.1");
  await waitFor(() => calls === 1, "first");
  client.send(request("2", "UDP"), p, "127.0.0.1");
  await waitFor(() => calls === 2, "second still delivered");
  client.close();
  await layer.close();
});

udp("no socket for the family: send returns false and reports it", async () => {
  const { layer, inbox } = await layerOn([{ transport: "UDP", address: "127.0.0.1", port: 0 }]);
  const r = layer.send(Buffer.from(ok("x")), { transport: "UDP", address: "::1", port: 5060 });
  assert.is(r, false);
  assert.is(inbox.sendErrors.length, 1);
  assert.is(layer.stats().sendFailures, 1);
  await layer.close();
});

// ---------------------------------------------------------------- TCP

const tcp = suite("TCP");

tcp(
  "several messages in one write, one message across writes, response on the inbound connection",
  async () => {
    const { layer, inbox, port } = await layerOn([
      { transport: "TCP", address: "127.0.0.1", port: 0 },
      { transport: "TCP", address: "::1", port: 0 },
    ]);
    for (const [family, host] of [
      [4, "127.0.0.1"],
      [6, "::1"],
    ] as const) {
      inbox.messages.length = 0;
      const client = await RawClient.tcp(host, port("TCP", family));
      const three =
        request("t1", "TCP", "body-1") + request("t2", "TCP") + request("t3", "TCP", "b\r\n\r\n3");
      client.socket.write(three);
      await waitFor(() => inbox.messages.length === 3, "3 messages");
      assert.equal(
        inbox.messages.map((m) => m.text),
        [request("t1", "TCP", "body-1"), request("t2", "TCP"), request("t3", "TCP", "b\r\n\r\n3")],
      );
      const split = request("t4", "TCP", "split body");
      client.socket.write(split.slice(0, 20));
      await sleep(20);
      client.socket.write(split.slice(20, split.length - 3));
      await sleep(20);
      assert.is(inbox.messages.length, 3, "not delivered before the body is complete");
      client.socket.write(split.slice(split.length - 3));
      await waitFor(() => inbox.messages.length === 4, "split message");
      assert.is(inbox.messages[3]!.text, split);

      const source = inbox.messages[0]!.source;
      assert.is(source.transport, "TCP");
      assert.is(source.family, family);
      assert.is(source.remotePort, client.socket.localPort);
      assert.type(source.connectionId, "number");
      assert.ok(inbox.messages.every((m) => m.source.connectionId === source.connectionId));
      const target = responseTarget(
        { transport: "TCP", host: "127.0.0.9", port: 5099, received: undefined, rport: null },
        source,
      );
      assert.is(layer.send(Buffer.from(ok("t1")), target), true);
      await waitFor(() => client.received === ok("t1"), "response on the same connection");
      client.destroy();
    }
    const s = layer.stats();
    assert.is(s.connectionsAccepted, 2);
    assert.is(s.connectionsOpened, 0, "the response did not open a connection");
    assert.is(s.streamMessagesIn, 8);
    await layer.close();
  },
);

tcp("CRLFCRLF ping is answered with CRLF pong and not passed up", async () => {
  const { layer, inbox, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const client = await RawClient.tcp("127.0.0.1", port("TCP"));
  client.socket.write("\r\n\r\n");
  await waitFor(() => client.received === "\r\n", "pong");
  client.socket.write(`\r\n${request("p", "TCP")}`);
  await waitFor(() => inbox.messages.length === 1, "message after a bare CRLF");
  assert.is(inbox.messages[0]!.text, request("p", "TCP"));
  assert.is(client.received, "\r\n");
  assert.is(layer.stats().keepalivePings, 1);
  client.destroy();
  await layer.close();
});

tcp("missing Content-Length: 400 then the connection is closed", async () => {
  const { layer, inbox, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const client = await RawClient.tcp("127.0.0.1", port("TCP"));
  const noLength = request("nl", "TCP").replace(/Content-Length: 0\r\n/, "");
  client.socket.write(noLength + request("after", "TCP"));
  await waitFor(() => client.ended, "connection closed by the server");
  assert.match(client.received, /^SIP\/2\.0 400 Missing Content-Length\r\n/);
  assert.match(client.received, /\r\nCall-ID: nl\r\n/);
  assert.match(client.received, /\r\nVia: SIP\/2\.0\/TCP 127\.0\.0\.1:5099;rport;branch=z9hG4bKnl\r\n/);
  assert.match(client.received, /\r\nTo: <sip:b@127\.0\.0\.1>;tag=/);
  assert.is(inbox.messages.length, 0, "neither the bad message nor what follows is passed up");
  assert.is(layer.stats().framingErrors, 1);
  client.destroy();
  await waitFor(() => layer.stats().connectionsOpen === 0, "connection gone");
  await layer.close();
});

tcp("oversize message: 513 then close", async () => {
  const { layer, inbox, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }], {
    maxMessageSize: 1024,
  });
  const client = await RawClient.tcp("127.0.0.1", port("TCP"));
  client.socket.write(request("big", "TCP", "y".repeat(2000)));
  await waitFor(() => client.ended, "connection closed");
  assert.match(client.received, /^SIP\/2\.0 513 Message Too Large\r\n/);
  assert.is(inbox.messages.length, 0);
  assert.is(layer.stats().oversizeDrops, 1);
  client.destroy();
  await layer.close();
});

tcp("outbound connection is opened once, reused, and the peer answers on it", async () => {
  const a = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const b = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const target: SendTarget = { transport: "TCP", address: "127.0.0.1", port: b.port("TCP") };
  const first = a.layer.send(Buffer.from(request("o1", "TCP")), target);
  const second = a.layer.send(Buffer.from(request("o2", "TCP")), target); // queued while connecting
  assert.instance(first, Promise);
  assert.is(await first, true);
  assert.is(await second, true);
  await waitFor(() => b.inbox.messages.length === 2, "both at b");
  assert.equal(
    b.inbox.messages.map((m) => m.text),
    [request("o1", "TCP"), request("o2", "TCP")],
  );
  assert.is(a.layer.send(Buffer.from(request("o3", "TCP")), target), true, "existing connection reused");
  await waitFor(() => b.inbox.messages.length === 3, "third at b");
  assert.is(a.layer.stats().connectionsOpened, 1);
  assert.is(b.layer.stats().connectionsAccepted, 1);
  const src = b.inbox.messages[0]!.source;
  b.layer.send(
    Buffer.from(ok("o1")),
    responseTarget({ transport: "TCP", host: "x", port: 5060, received: undefined, rport: undefined }, src),
  );
  await waitFor(() => a.inbox.messages.length === 1, "response at a");
  assert.is(a.inbox.messages[0]!.text, ok("o1"));
  // The outbound connection delivers inbound traffic too, under its own id, usable for sending.
  const back = a.inbox.messages[0]!.source;
  assert.type(back.connectionId, "number");
  assert.is(back.remotePort, b.port("TCP"));
  assert.is(
    a.layer.send(Buffer.from(request("o4", "TCP")), { ...target, port: 1, connectionId: back.connectionId! }),
    true,
  );
  await waitFor(() => b.inbox.messages.length === 4, "sent by connection id");
  assert.is(a.layer.stats().connectionsOpened, 1);
  await a.layer.close();
  await b.layer.close();
});

tcp("connect failure resolves false and reports the error", async () => {
  // A port that was just free: bind then close a listener.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const freePort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { layer, inbox } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const r = await layer.send(Buffer.from(request("f", "TCP")), {
    transport: "TCP",
    address: "127.0.0.1",
    port: freePort,
  });
  assert.is(r, false);
  assert.is(inbox.sendErrors.length, 1);
  assert.is(inbox.sendErrors[0]!.target.port, freePort);
  assert.is(layer.stats().sendFailures, 1);
  await layer.close();
});

tcp("connect timeout: a TLS peer that never completes the handshake", async () => {
  // A plain TCP server that accepts and stays silent.
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => held.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const silentPort = (silent.address() as net.AddressInfo).port;
  const { layer, inbox } = await layerOn([], { connectTimeoutMs: 150 });
  const started = Date.now();
  const r = await layer.send(Buffer.from(request("t", "TLS")), {
    transport: "TLS",
    address: "127.0.0.1",
    port: silentPort,
  });
  const elapsed = Date.now() - started;
  assert.is(r, false);
  assert.ok(elapsed >= 140 && elapsed < 2000, `took ${elapsed} ms`);
  assert.is((inbox.sendErrors[0]!.error as { code?: string }).code, "connect-timeout");
  await waitFor(() => layer.stats().connectionsOpen === 0, "connection dropped");
  for (const s of held) s.destroy();
  await new Promise<void>((r2) => silent.close(() => r2()));
  await layer.close();
});

tcp("idle sweep closes a silent inbound connection; traffic keeps another alive", async () => {
  const { layer, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }], {
    idleTimeoutMs: 150,
    sweepIntervalMs: 25,
  });
  const idle = await RawClient.tcp("127.0.0.1", port("TCP"));
  const busy = await RawClient.tcp("127.0.0.1", port("TCP"));
  const started = Date.now();
  while (Date.now() - started < 400) {
    busy.socket.write("\r\n\r\n");
    await sleep(40);
  }
  assert.ok(idle.ended, "idle connection closed");
  assert.not.ok(busy.ended, "busy connection kept");
  assert.is(layer.stats().connectionsIdleClosed, 1);
  idle.destroy();
  busy.destroy();
  await layer.close();
});

tcp("connection limit refuses extra inbound connections", async () => {
  const { layer, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }], {
    maxConnections: 1,
  });
  const c1 = await RawClient.tcp("127.0.0.1", port("TCP"));
  await waitFor(() => layer.stats().connectionsOpen === 1, "first accepted");
  const c2 = await RawClient.tcp("127.0.0.1", port("TCP"));
  await waitFor(() => c2.closed, "second refused");
  assert.is(layer.stats().connectionsRejected, 1);
  assert.not.ok(c1.closed);
  c1.destroy();
  c2.destroy();
  await layer.close();
});

tcp("close() closes listeners and open connections", async () => {
  const { layer, port } = await layerOn([{ transport: "TCP", address: "127.0.0.1", port: 0 }]);
  const p = port("TCP");
  const client = await RawClient.tcp("127.0.0.1", p);
  await waitFor(() => layer.stats().connectionsOpen === 1, "accepted");
  await layer.close();
  await waitFor(() => client.ended, "client sees the close");
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port: p });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
  assert.ok(refused, "listener closed");
  client.destroy();
});

// ---------------------------------------------------------------- TLS

const secure = suite("TLS");

secure("round trip with a self-signed cert (files and buffers), IPv4 and IPv6", async () => {
  const { layer, inbox, port } = await layerOn([
    { transport: "TLS", address: "127.0.0.1", port: 0, tls: { cert: certPath, key: keyPath } },
    { transport: "TLS", address: "::1", port: 0, tls: { cert, key: readFileSync(keyPath) } },
  ]);
  for (const [family, host] of [
    [4, "127.0.0.1"],
    [6, "::1"],
  ] as const) {
    inbox.messages.length = 0;
    const client = await RawClient.tls(host, port("TLS", family), cert);
    client.socket.write(request("s1", "TLS", "secret") + request("s2", "TLS"));
    await waitFor(() => inbox.messages.length === 2, "2 TLS messages");
    assert.is(inbox.messages[0]!.text, request("s1", "TLS", "secret"));
    const src = inbox.messages[0]!.source;
    assert.is(src.transport, "TLS");
    assert.is(src.family, family);
    layer.send(
      Buffer.from(ok("s1")),
      responseTarget({ transport: "TLS", host, port: 5061, received: undefined, rport: undefined }, src),
    );
    await waitFor(() => client.received === ok("s1"), "TLS response");
    client.destroy();
  }
  await layer.close();
});

secure("outbound TLS verified against a CA", async () => {
  const server = await layerOn([
    { transport: "TLS", address: "127.0.0.1", port: 0, tls: { cert: certPath, key: keyPath } },
  ]);
  const client = await layerOn([], { tlsClient: { ca: certPath } });
  const r = await client.layer.send(Buffer.from(request("o", "TLS")), {
    transport: "TLS",
    address: "127.0.0.1",
    port: server.port("TLS"),
  });
  assert.is(r, true);
  await waitFor(() => server.inbox.messages.length === 1, "TLS message at server");
  assert.is(server.inbox.messages[0]!.text, request("o", "TLS"));
  // Without the CA the handshake is refused.
  const untrusting = await layerOn([]);
  const r2 = await untrusting.layer.send(Buffer.from(request("o", "TLS")), {
    transport: "TLS",
    address: "127.0.0.1",
    port: server.port("TLS"),
  });
  assert.is(r2, false);
  assert.is(untrusting.inbox.sendErrors.length, 1);
  await untrusting.layer.close();
  await client.layer.close();
  await server.layer.close();
});

secure.after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

udp.run();
tcp.run();
secure.run();
