// The centrex relay as its own process (so the benchmark can pin it and read its CPU time):
// prints one JSON line {"control":PORT} once the control server listens.
import { MediaRelay, startControlServer } from "@centrex/media";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const relay = new MediaRelay({
  bindAddress: "127.0.0.1",
  portMin: arg("port-min", 42000),
  portMax: arg("port-max", 43999),
  recvBufferSize: 1 << 20,
});
const server = await startControlServer({ controller: relay, address: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ control: server.address().port })}\n`);
const stop = async (): Promise<void> => {
  await server.close();
  await relay.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
