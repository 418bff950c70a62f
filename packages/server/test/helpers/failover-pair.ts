import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { createServer } from "node:net";
import { createResponse, SipStack, type TransactionUser } from "@centrex/sip";
import { type FailoverConfig, failoverConfigSchema } from "../../src/switch/failover/config.js";
import { failoverGate } from "../../src/switch/failover/gate.js";

function tryUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => {
      s.close();
      resolve(false);
    });
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A loopback port free for TCP and UDP right now (a node's fixed ports must be known to its peer). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
      });
    });
    if (await tryUdp(port)) return port;
  }
  throw new Error("no free port on loopback");
}

export const SECRET = "a-pair-secret-of-some-length";

export interface NodePorts {
  replication: number;
  health: number;
  sip: number;
}

export async function nodePorts(): Promise<NodePorts> {
  return { replication: await freePort(), health: await freePort(), sip: await freePort() };
}

/** The failover section of one node of the test pair (node-a 127.0.0.11, node-b 127.0.0.12 in DNS). */
export function pairConfig(
  self: "node-a" | "node-b",
  role: "primary" | "standby",
  own: NodePorts,
  peer: NodePorts,
  extra: Record<string, unknown> = {},
): FailoverConfig {
  return failoverConfigSchema.parse({
    role,
    secret: SECRET,
    replication: { address: "127.0.0.1", port: own.replication },
    health: { address: "127.0.0.1", port: own.health },
    peer: {
      name: self === "node-a" ? "node-b" : "node-a",
      host: "127.0.0.1",
      replicationPort: peer.replication,
      healthPort: peer.health,
      sipPort: peer.sip,
    },
    probe: { intervalMs: 100, misses: 3, timeoutMs: 80 },
    dns: {
      zone: "operator.example",
      serviceName: "sip.operator.example",
      ttl: 5,
      self,
      nodes: [
        { name: "node-a", ipv4: "127.0.0.11", priority: 10 },
        { name: "node-b", ipv4: "127.0.0.12", priority: 20 },
      ],
      embedded: { address: "127.0.0.1", port: 0 },
    },
    ...extra,
  });
}

/** A node's SIP side: a real stack whose user answers 200 to everything, behind the failover gate. */
export async function sipNode(
  port: number,
  serving: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  let stack: SipStack | undefined;
  const inner: TransactionUser = {
    onRequest(req, tx) {
      if (tx !== undefined && req.method !== "ACK") tx.respond(createResponse(req, 200, "OK"));
    },
    onStrayResponse() {},
  };
  stack = new SipStack(failoverGate(inner, serving), {
    listen: [{ transport: "UDP", address: "127.0.0.1", port }],
  });
  const bound = await stack.start();
  return {
    port: bound[0]?.port ?? port,
    close: async () => {
      await stack?.close(0);
      stack = undefined;
    },
  };
}

/** Sends one SIP request over UDP and resolves with the first response's status line and headers. */
export function sipRequest(
  port: number,
  method: string,
  opts: { toTag?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no answer to ${method}`));
    }, 2000);
    s.on("message", (msg) => {
      const text = msg.toString("latin1");
      const status = Number(text.slice(8, 11));
      if (status < 200) return;
      clearTimeout(timer);
      s.close();
      resolve({ status, text });
    });
    s.bind(0, "127.0.0.1", () => {
      const local = s.address().port;
      const tag = randomBytes(4).toString("hex");
      const to = `<sip:201@acme.test>${opts.toTag !== undefined ? `;tag=${opts.toTag}` : ""}`;
      const uri = method === "REGISTER" ? "sip:acme.test" : "sip:202@acme.test";
      s.send(
        `${method} ${uri} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${randomBytes(6).toString("hex")};rport\r\n` +
          "Max-Forwards: 70\r\n" +
          `From: <sip:201@acme.test>;tag=${tag}\r\n` +
          `To: ${to}\r\n` +
          `Call-ID: ${randomBytes(8).toString("hex")}@127.0.0.1\r\n` +
          `CSeq: 1 ${method}\r\n` +
          `Contact: <sip:201@127.0.0.1:${local}>\r\n` +
          "Content-Length: 0\r\n\r\n",
        port,
        "127.0.0.1",
      );
    });
  });
}

/** The A records of the service name as a node's embedded DNS server answers them. */
export async function resolveService(dnsPort: number): Promise<string[]> {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${dnsPort}`]);
  return r.resolve4("sip.operator.example");
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
