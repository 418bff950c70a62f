import { Command, InvalidArgumentError, Option } from "commander";
import { pino } from "pino";
import { ConfigError, loadConfigFile, validateConfig } from "../config/load.js";
import { applyOverrides, type StartOverrides } from "../config/overrides.js";
import { Switch } from "../switch/switch.js";
import { registerBillingCommands } from "./billing-commands.js";
import { registerCarrierCommands } from "./carrier-commands.js";
import { registerFailoverCommands } from "./failover-commands.js";
import { registerMediaCommand } from "./media-command.js";
import { printError } from "./output.js";
import { registerPolicyCommands } from "./policy-commands.js";
import { registerSecurityCommands } from "./security-commands.js";
import { registerTenantCommands } from "./tenant-commands.js";

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("not a port number (0-65535)");
  return n;
}

const program = new Command()
  .name("centrex")
  .description("centrex — a SIP/RTP softswitch for hosted business telephony")
  .showHelpAfterError();

program
  .command("start")
  .description("start the switch (embedded defaults when no --config is given)")
  .option("--config <file>", "YAML configuration file")
  .option("--db <path>", "SQLite database file (overrides store.path)")
  .option("--sip-address <addr>", "address for the UDP and TCP SIP listeners")
  .option("--sip-port <port>", "port for the UDP and TCP SIP listeners", port)
  .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent")
  .addOption(
    new Option("--role <role>", "failover role at start (overrides failover.role)").choices([
      "primary",
      "standby",
    ]),
  )
  .option("--peer <host>", "the other node's address (overrides failover.peer.host)")
  .action(async (o: StartOverrides & { config?: string; role?: "primary" | "standby"; peer?: string }) => {
    let config: ReturnType<typeof validateConfig>;
    try {
      const base = o.config !== undefined ? loadConfigFile(o.config) : validateConfig({});
      const merged = applyOverrides(base, o);
      if (o.role !== undefined || o.peer !== undefined) {
        if (merged.failover === undefined)
          throw new ConfigError(
            'command line: --role/--peer need a "failover" section in the config',
            "failover",
          );
        if (o.role !== undefined) merged.failover.role = o.role;
        if (o.peer !== undefined) merged.failover.peer.host = o.peer;
      }
      config = validateConfig(merged, "command line");
    } catch (err) {
      if (err instanceof ConfigError) {
        printError(`centrex: ${err.message}`);
        process.exit(2);
      }
      throw err;
    }
    const logger = pino({ level: config.log.level, base: { node: config.node.name } });
    let sw: Switch;
    try {
      sw = await Switch.start(config, logger);
    } catch (err) {
      logger.fatal({ err, event: "start-failed" }, "centrex could not start");
      printError(`centrex: cannot start: ${(err as Error).message}`);
      process.exit(1);
    }
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: "signal", signal }, "shutting down");
      sw.stop().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  });

registerTenantCommands(program);
registerSecurityCommands(program);
registerMediaCommand(program);
registerPolicyCommands(program);
registerBillingCommands(program);
registerCarrierCommands(program);
registerFailoverCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  printError(`centrex: ${(err as Error).message}`);
  process.exit(1);
});
