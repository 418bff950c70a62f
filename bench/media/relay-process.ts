// The centrex relay as its own process (so the benchmark can pin it and read its CPU time):
// prints one JSON line {"control":PORT,"pids":[…],"kernel":bool} once the control server listens.
//   --port-min/--port-max  its RTP range      --kernel auto|off  nftables fast path
//   --workers N            N relay worker processes sharing the range (startRelayWorkers)
//   --bind ADDR            the relay's address (default 127.0.0.1; ::1 for --ipv6)
//   --floor                the floor relay (floor-relay.ts) instead of centrex's: the reference for Node's own cost
//   --floor-raw            the floor on Node's raw UDP handles (floor-raw-relay.ts): what `dgram`'s JavaScript costs
//   --floor-idle N         the floor binds N idle sockets per call more (centrex binds 4 a call, the floor 2)
//   --stall MS:EVERY       block this process's event loop for MS ms every EVERY ms, as the SIP work of
//                          the process the relay lives in would (with --workers the relay is elsewhere)
import { writeFileSync } from "node:fs";
import { type MediaController, MediaRelay, startControlServer, startRelayWorkers } from "@centrex/media";
import { FloorRawRelay } from "./floor-raw-relay.js";
import { FloorRelay } from "./floor-relay.js";

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const portMin = Number(arg("port-min", "42000"));
const portMax = Number(arg("port-max", "45999"));
const kernel = arg("kernel", "off") === "auto" ? "auto" : "off";
const workers = Number(arg("workers", "0"));
const bindAddress = arg("bind", "127.0.0.1");

let controller: MediaController;
let pids = [process.pid];
let kernelOn = false;
if (process.argv.includes("--floor-raw")) {
  controller = new FloorRawRelay(bindAddress, portMin, 1 << 20);
} else if (process.argv.includes("--floor")) {
  controller = new FloorRelay(bindAddress, portMin, 1 << 20, Number(arg("floor-idle", "0")));
} else if (workers > 0) {
  const w = await startRelayWorkers({
    workers,
    bindAddress,
    portMin,
    portMax,
    recvBufferSize: 1 << 20,
  });
  controller = w.controller;
  pids = [process.pid, ...w.workers.map((x) => x.child.pid!)];
} else {
  const relay = new MediaRelay({
    bindAddress,
    portMin,
    portMax,
    recvBufferSize: 1 << 20,
    kernel,
  });
  kernelOn = await relay.kernelReady;
  controller = relay;
}
const [stallMs, stallEvery] = arg("stall", "0:0").split(":").map(Number) as [number, number];
if (stallMs > 0 && stallEvery > 0) {
  // Busy, not asleep: what a burst of SIP parsing, routing and store writes does to the loop.
  setInterval(() => {
    const end = performance.now() + stallMs;
    while (performance.now() < end);
  }, stallEvery).unref();
}
const server = await startControlServer({ controller, address: "127.0.0.1", port: 0 });
const info = `${JSON.stringify({ control: server.address().port, pids, kernel: kernelOn })}\n`;
process.stdout.write(info);
// Under Clinic.js (0x) stdout is redirected: the benchmark reads this file instead.
const infoFile = arg("info-file", "");
if (infoFile !== "") writeFileSync(infoFile, info);
const stop = async (): Promise<void> => {
  await server.close();
  await controller.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
