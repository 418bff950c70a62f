import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/**
 * A port free for both UDP and TCP on `address` right now. SIP listens on
 * both with one number, so both must be free.
 */
export async function freePort(address = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpEphemeral(address);
    if (await udpFree(address, port)) return port;
  }
  throw new Error("no free UDP+TCP port found");
}

/**
 * A port `p` such that `p` and `p + 1` are free for UDP and TCP on `address`, taken below the
 * kernel's ephemeral range (32768 up): baresip listens for TLS on its SIP port + 1, and a port
 * from the ephemeral range can be handed to another process's outgoing connection between
 * our check and baresip's bind ("bind: Address already in use", seen 1 run in 6).
 */
export async function freePortPair(address = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await tcpFree(address, port)) && (await tcpFree(address, port + 1))) {
      if ((await udpFree(address, port)) && (await udpFree(address, port + 1))) return port;
    }
  }
  throw new Error("no free pair of UDP+TCP ports found");
}

function tcpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, address, () => srv.close(() => resolve(true)));
  });
}

function tcpEphemeral(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, address, () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function udpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(":") ? "udp6" : "udp4");
    s.once("error", () => resolve(false));
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}
