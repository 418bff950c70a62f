import { Command, InvalidArgumentError, Option } from "commander";
import type { StartOverrides } from "../config/overrides.js";
import type { Switch } from "../switch/switch.js";
import { EXIT_FAULT, EXIT_USAGE, printError } from "./output.js";
import { centrexVersion } from "./version.js";

// Start-up time: a one-shot command (`centrex customer list`) must answer in well under
// half a second, so this file imports only commander. Each command group's module is
// loaded when its word is the first argument; any other first word (help, a typo, a
// command not listed here) loads them all, so the map can only make things faster,
// never hide a command. `start` loads the switch itself inside its action.
type Register = (program: Command) => void;
const groups: Record<string, () => Promise<Register>> = {
  init: async () => (await import("./init-command.js")).registerInitCommand,
  tenant: async () => (await import("./tenant-commands.js")).registerTenantCommands,
  media: async () => (await import("./media-command.js")).registerMediaCommand,
  policy: async () => (await import("./policy-commands.js")).registerPolicyCommands,
  billing: async () => (await import("./billing-commands.js")).registerBillingCommands,
  carrier: async () => (await import("./carrier-commands.js")).registerCarrierCommands,
  failover: async () => (await import("./failover-commands.js")).registerFailoverCommands,
  security: async () => (await import("./security-commands.js")).registerSecurityCommands,
  phone: async () => (await import("./phone-commands.js")).registerPhoneCommands,
  features: async () => (await import("./call-feature-commands.js")).registerCallFeatureCommands,
  groups: async () => (await import("./ring-group-commands.js")).registerRingGroupCommands,
};
/** The groups that register each top-level command word (security adds to `extension`). */
const groupsOf: Record<string, string[]> = {
  init: ["init"],
  audit: ["policy"],
  customer: ["tenant"],
  extension: ["tenant", "security"],
  ban: ["tenant", "security"],
  media: ["media"],
  did: ["policy"],
  pin: ["policy"],
  fallback: ["policy"],
  emergency: ["policy"],
  barring: ["policy"],
  suspend: ["policy"],
  resume: ["policy"],
  cdr: ["billing"],
  invoice: ["billing"],
  carrier: ["carrier"],
  backup: ["failover"],
  restore: ["failover"],
  failback: ["failover"],
  phone: ["phone"],
  forward: ["features"],
  group: ["groups"],
};

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("not a port number (0-65535)");
  return n;
}

const program = new Command()
  .name("centrex")
  .description("centrex — a SIP/RTP softswitch for hosted business telephony")
  .version(centrexVersion(), "-V, --version", "print the version")
  .addHelpText(
    "after",
    "\nExit status: 0 done; 1 a check found a fault (cdr verify) or the command failed outside its input;\n2 a usage or input error (nothing was changed).",
  )
  // A usage error (unknown command or option, missing argument, bad value) is one line and exit 2.
  .configureOutput({ outputError: (str, write) => write(`centrex: ${str.replace(/^error: /, "")}`) })
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });

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
    const { ConfigError, loadConfigFile, validateConfig } = await import("../config/load.js");
    const { applyOverrides } = await import("../config/overrides.js");
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
    // Refused before anything opens: one database, one running switch (the lock names the holder).
    const { DatabaseInUseError, lockDatabase } = await import("../switch/db-lock.js");
    try {
      const release = lockDatabase(config.store.path);
      process.on("exit", release);
    } catch (err) {
      if (err instanceof DatabaseInUseError) {
        printError(`centrex: cannot start: ${err.message}`);
        process.exit(EXIT_FAULT);
      }
      throw err;
    }
    const { pino } = await import("pino");
    const logger = pino({ level: config.log.level, base: { node: config.node.name } });
    let sw: Switch;
    try {
      // Loaded here, not at the top: the one-shot commands need none of the switch's modules.
      const { Switch } = await import("../switch/switch.js");
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

const first = process.argv[2];
const only = first !== undefined ? groupsOf[first] : undefined;
// In the order of `groups`: a group that extends another's command comes after it.
const wanted = Object.keys(groups).filter(
  (g) => first !== "start" && (only === undefined || only.includes(g)),
);
for (const register of await Promise.all(wanted.map((g) => groups[g]!()))) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  printError(`centrex: ${(err as Error).message}`);
  // A CliError thrown by an option's parser is still a usage error.
  process.exit((err as Error).name === "CliError" ? EXIT_USAGE : EXIT_FAULT);
});
