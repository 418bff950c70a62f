import { type MediaController, MediaNodePool, MediaRelay, RemoteMediaController } from "@centrex/media";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";
import { firstExternalIpv4 } from "./addresses.js";

/**
 * The in-process relay, placed where phones can reach it: on the SIP listen
 * address when that is a specific one, else on every address, advertising the
 * configured address or the machine's first external IPv4.
 */
export function createMediaRelay(config: CentrexConfig, logger: Logger): MediaRelay {
  const m = config.media;
  const sipAddress = config.sip.listen.find((l) => l.transport !== "tls")?.address ?? "0.0.0.0";
  const wildcard = sipAddress === "0.0.0.0" || sipAddress === "::";
  const bindAddress = m.bindAddress ?? (wildcard ? "0.0.0.0" : sipAddress);
  const advertisedAddress =
    m.advertisedAddress ??
    config.sip.advertisedAddress ??
    (bindAddress === "0.0.0.0" || bindAddress === "::" ? firstExternalIpv4() : bindAddress);
  return new MediaRelay({
    bindAddress,
    advertisedAddress,
    portMin: m.portMin,
    portMax: m.portMax,
    kernel: m.kernel,
    defaults: {
      latching: m.latching,
      mediaTimeoutMs: m.timeoutSeconds * 1000,
      holdTimeoutMs: m.holdTimeoutSeconds * 1000,
    },
    logger: logger.child({ component: "media" }),
  });
}

/**
 * Where calls are anchored: the media nodes of the config (spread over, a dead
 * one skipped for new calls), else an in-process relay.
 */
export function createMediaController(config: CentrexConfig, logger: Logger): MediaController {
  const nodes = config.media.nodes;
  if (nodes.length === 0) return createMediaRelay(config, logger);
  const log = logger.child({ component: "media" });
  return new MediaNodePool(
    nodes.map((n) => new RemoteMediaController({ host: n.host, port: n.port, logger: log })),
    { logger: log },
  );
}
