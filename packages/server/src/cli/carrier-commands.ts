import type { CarrierStateView } from "@centrex/operations";
import type { CarrierTransport, NumberFormat } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import {
  type ChangeOptions,
  CliError,
  changeOptions,
  cliActor,
  type DbOptions,
  dbOptions,
  jsonOption,
  output,
  withOps,
} from "./store-command.js";

function int(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected ${values.join(" or ")}`);
    return value as T;
  };
}

function onOff(value: string): boolean {
  if (value === "yes" || value === "on" || value === "true") return true;
  if (value === "no" || value === "off" || value === "false") return false;
  throw new InvalidArgumentError("expected yes or no");
}

interface CarrierOptions extends ChangeOptions {
  host?: string;
  port?: number;
  transport?: CarrierTransport;
  username?: string;
  password?: string;
  format?: NumberFormat;
  priority?: number;
  weight?: number;
  enabled?: boolean;
  register?: boolean;
}

function carrierFlags(cmd: Command, hostRequired: boolean): Command {
  const host = "IP address or DNS name (RFC 3263 NAPTR/SRV/A)";
  return (hostRequired ? cmd.requiredOption("--host <host>", host) : cmd.option("--host <host>", host))
    .option("--port <port>", "port (default 5060, 5061 for TLS)", int)
    .option("--transport <t>", "udp, tcp or tls", oneOf(["udp", "tcp", "tls"] as const))
    .option("--username <user>", "for registration and digest challenges")
    .option("--password <pw>", "for registration and digest challenges")
    .option(
      "--format <f>",
      "how the carrier wants numbers: e164 or national",
      oneOf(["e164", "national"] as const),
    )
    .option("--priority <n>", "lower is tried first", int)
    .option("--weight <n>", "share among equal priorities", int);
}

function fields(o: CarrierOptions) {
  return {
    ...(o.host !== undefined && { host: o.host }),
    ...(o.port !== undefined && { port: o.port }),
    ...(o.transport !== undefined && { transport: o.transport }),
    ...(o.username !== undefined && { username: o.username }),
    ...(o.password !== undefined && { password: o.password }),
    ...(o.format !== undefined && { numberFormat: o.format }),
    ...(o.priority !== undefined && { priority: o.priority }),
    ...(o.weight !== undefined && { weight: o.weight }),
    ...(o.enabled !== undefined && { enabled: o.enabled }),
    ...(o.register !== undefined && { register: o.register }),
  };
}

/**
 * SIP trunks to PSTN carriers and the prefixes each one takes. The running
 * switch picks changes up within `trunk.reloadSeconds`, without dropping calls.
 */
export function registerCarrierCommands(program: Command): void {
  const carrier = program
    .command("carrier")
    .description("PSTN carriers (SIP trunks): add, list, update, route, remove");
  carrierFlags(changeOptions(carrier.command("add <name>").description("add a carrier")), true)
    .option("--register", "the carrier requires an outbound REGISTER (needs --username and --password)")
    .action((name: string, o: CarrierOptions & { host: string }) =>
      withOps(o, async (ops) => {
        if (o.register === true && (o.username === undefined || o.password === undefined)) {
          throw new CliError(
            `--register needs --username and --password (missing ${o.username === undefined ? "--username" : "--password"})`,
          );
        }
        const c = await ops.carriers.add(cliActor(o), { name, host: o.host, ...fields(o) });
        print(
          `carrier ${c.name} ${c.transport}:${c.host}:${c.port} priority ${c.priority}${c.register ? " registers" : ""}`,
        );
      }),
    );
  carrierFlags(
    changeOptions(carrier.command("update <name>").description("change a carrier's settings")),
    false,
  )
    .option("--enabled <yes|no>", "take calls (yes) or not (no)", onOff)
    .option("--register <yes|no>", "send it an outbound REGISTER (needs a username and password)", onOff)
    .action((name: string, o: CarrierOptions) =>
      withOps(o, async (ops) => {
        const c = await ops.carriers.update(cliActor(o), name, fields(o));
        print(
          `carrier ${c.name} ${c.transport}:${c.host}:${c.port} priority ${c.priority}${c.enabled ? "" : " (disabled)"}`,
        );
      }),
    );
  jsonOption(
    dbOptions(
      carrier
        .command("list")
        .description(
          "list carriers, their prefixes, whether they register, and their state on each running node",
        ),
    ),
  ).action((o: DbOptions & { json?: boolean }) =>
    withOps(o, async (ops) => {
      const list = await ops.carriers.list();
      output(o, list, () => {
        for (const c of list) {
          const routes = c.routes.map((r) => r.prefix || "any").join(",");
          print(
            `${c.name}\t${c.transport}:${c.host}:${c.port}\tpriority ${c.priority}\tweight ${c.weight}\t${c.numberFormat}\t${c.enabled ? "enabled" : "disabled"}\t${routes}\t${c.register ? "register" : "no-register"}\t${carrierStateText(c.health ?? [])}`,
          );
        }
      });
    }),
  );
  changeOptions(carrier.command("remove <name>").description("remove a carrier")).action(
    (name: string, o: ChangeOptions) =>
      withOps(o, async (ops) => {
        await ops.carriers.remove(cliActor(o), name);
        print(`carrier ${name} removed`);
      }),
  );
  changeOptions(
    carrier
      .command("route <name> <prefix>")
      .description(
        'let a carrier take destinations starting with PREFIX (E.164 digits, e.g. 33; "any" for all)',
      ),
  ).action((name: string, prefix: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      await ops.carriers.addRoute(cliActor(o), name, prefix);
      const p = prefix === "any" ? "" : prefix.replace(/^\+/, "");
      print(`carrier ${name} takes ${p === "" ? "any destination" : `+${p}…`}`);
    }),
  );
  changeOptions(
    carrier
      .command("unroute <name> <prefix>")
      .description('stop a carrier taking PREFIX ("any" for the catch-all route)'),
  ).action((name: string, prefix: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      await ops.carriers.removeRoute(cliActor(o), name, prefix);
      print(`carrier ${name} no longer takes ${prefix}`);
    }),
  );
}

/**
 * A carrier's state as the running switch(es) recorded it: "up since …", "demoted since … (why)",
 * with the registration state when it registers; "unknown" when no switch has run with it yet.
 */
export function carrierStateText(rows: readonly CarrierStateView[]): string {
  if (rows.length === 0) return "unknown (no switch has run with this carrier)";
  return rows
    .map((h) => {
      const since = new Date(h.since).toISOString().replace(/\.\d{3}Z$/, "Z");
      const what =
        h.state === "up" ? `up since ${since}` : `demoted since ${since} (${h.reason ?? "no reason"})`;
      const reg = h.registration === null ? "" : `, registration ${h.registration}`;
      return `${rows.length > 1 ? `${h.node}: ` : ""}${what}${reg}`;
    })
    .join("; ");
}
