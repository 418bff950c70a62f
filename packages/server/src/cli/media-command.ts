import { startControlServer } from "@centrex/media";
import { type Command, InvalidArgumentError } from "commander";
import { pino } from "pino";
import { validateConfig } from "../config/load.js";
import { createMediaRelay } from "../switch/media.js";

function range(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (m === null || lo < 1024 || hi > 65535 || lo >= hi)
    throw new InvalidArgumentError("expected LOW-HIGH, e.g. 30000-39999");
  return [lo, hi];
}

/**
 * `centrex media`: a media node on its own, controlled over TCP by one or more
 * switches (config `media.nodes`), so media can scale apart from signalling.
 */
export function registerMediaCommand(program: Command): void {
  program
    .command("media")
    .description("run a media relay node, controlled over TCP by switches")
    .option("--control <addr:port>", "control listener (keep it on a private network)", "127.0.0.1:2223")
    .option("--address <addr>", "address the relay's RTP sockets bind to", "0.0.0.0")
    .option("--advertise <addr>", "address written into rewritten SDP")
    .option("--ports <low-high>", "RTP port range", range, [30000, 39999] as [number, number])
    .option("--kernel <auto|off>", "kernel fast path (nftables) when available", "auto")
    .option("--log-level <level>", "log level", "info")
    .action(
      async (o: {
        control: string;
        address: string;
        advertise?: string;
        ports: [number, number];
        kernel: string;
        logLevel: string;
      }) => {
        const i = o.control.lastIndexOf(":");
        const host = o.control.slice(0, i);
        const port = Number(o.control.slice(i + 1));
        const config = validateConfig({
          log: { level: o.logLevel },
          media: {
            bindAddress: o.address,
            portMin: o.ports[0],
            portMax: o.ports[1],
            kernel: o.kernel,
            ...(o.advertise !== undefined && { advertisedAddress: o.advertise }),
          },
        });
        const logger = pino({ level: config.log.level, base: { node: "media" } });
        const relay = createMediaRelay(config, logger);
        const server = await startControlServer({ controller: relay, address: host, port, logger });
        logger.info({ event: "started", control: server.address() }, "media node started");
        const stop = () => {
          void server
            .close()
            .then(() => relay.close())
            .then(() => process.exit(0));
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      },
    );
}
