// The container's health command: one SIP OPTIONS to the switch's own UDP listener, healthy
// when anything answers within 2 s. Needs no API token (the admin API's /health is the
// richer check where admin.tokens are configured). Usage: node healthcheck.mjs [host] [port]
import { createSocket } from "node:dgram";

const host = process.argv[2] ?? "127.0.0.1";
const port = Number(process.argv[3] ?? 5060);
const sock = createSocket(host.includes(":") ? "udp6" : "udp4");
const timer = setTimeout(() => {
  process.stderr.write(`no SIP answer from ${host}:${port} in 2 s\n`);
  process.exit(1);
}, 2000);
sock.on("message", (msg) => {
  clearTimeout(timer);
  process.stdout.write(`${msg.toString("latin1").split("\r\n", 1)[0]}\n`);
  process.exit(0);
});
sock.bind(0, () => {
  const local = sock.address().port;
  const branch = `z9hG4bK-health-${process.pid}-${Date.now()}`;
  const text =
    `OPTIONS sip:${host}:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport\r\n` +
    "Max-Forwards: 70\r\n" +
    `From: <sip:health@127.0.0.1>;tag=${process.pid}\r\n` +
    `To: <sip:${host}:${port}>\r\n` +
    `Call-ID: ${branch}\r\n` +
    "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  sock.send(Buffer.from(text, "latin1"), port, host);
});
