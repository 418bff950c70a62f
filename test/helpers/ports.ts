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
