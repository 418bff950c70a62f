import { createSocket } from "node:dgram";
import { createServer } from "node:net";

function tryUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => {
      s.close();
      resolve(false);
    });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * A port on `host` that is free for both TCP and UDP right now (DNS servers need both). There is a small
 * window before the caller binds it; callers that start a server retry on EADDRINUSE.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (await tryUdp(port, host)) return port;
  }
  throw new Error("no free TCP+UDP port found on loopback");
}
