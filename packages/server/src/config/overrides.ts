import type { CentrexConfig } from "./schema.js";

/** Command-line options that override the config file. */
export interface StartOverrides {
  db?: string;
  sipAddress?: string;
  sipPort?: number;
  logLevel?: CentrexConfig["log"]["level"];
}

/**
 * Applies command-line overrides. `--sip-address`/`--sip-port` replace the
 * address and port of every UDP/TCP listener (TLS keeps its own port), which
 * is what an operator means by "run on this address".
 */
export function applyOverrides(config: CentrexConfig, o: StartOverrides): CentrexConfig {
  const out: CentrexConfig = structuredClone(config);
  if (o.db !== undefined) out.store.path = o.db;
  if (o.logLevel !== undefined) out.log.level = o.logLevel;
  if (o.sipAddress !== undefined || o.sipPort !== undefined) {
    out.sip.listen = out.sip.listen.map((l) =>
      l.transport === "tls"
        ? { ...l, address: o.sipAddress ?? l.address }
        : { ...l, address: o.sipAddress ?? l.address, port: o.sipPort ?? l.port },
    );
  }
  return out;
}
