import type { CarrierTransport, NumberFormat } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import {
  type ChangeOptions,
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
  carrierFlags(changeOptions(carrier.command("add <name>").description("add a carrier")), true).action(
    (name: string, o: CarrierOptions & { host: string }) =>
      withOps(o, async (ops) => {
        const c = await ops.addCarrier(cliActor(o), { name, host: o.host, ...fields(o) });
        print(`carrier ${c.name} ${c.transport}:${c.host}:${c.port} priority ${c.priority}`);
      }),
  );
  carrierFlags(
    changeOptions(carrier.command("update <name>").description("change a carrier's settings")),
    false,
  )
    .option("--enabled <yes|no>", "take calls (yes) or not (no)", onOff)
    .action((name: string, o: CarrierOptions) =>
      withOps(o, async (ops) => {
        const c = await ops.updateCarrier(cliActor(o), name, fields(o));
        print(
          `carrier ${c.name} ${c.transport}:${c.host}:${c.port} priority ${c.priority}${c.enabled ? "" : " (disabled)"}`,
        );
      }),
    );
  jsonOption(dbOptions(carrier.command("list").description("list carriers and their prefixes"))).action(
    (o: DbOptions & { json?: boolean }) =>
      withOps(o, async (ops) => {
        const list = await ops.listCarriers();
        output(o, list, () => {
          for (const c of list) {
            const routes = c.routes.map((r) => r.prefix || "any").join(",");
            print(
              `${c.name}\t${c.transport}:${c.host}:${c.port}\tpriority ${c.priority}\tweight ${c.weight}\t${c.numberFormat}\t${c.enabled ? "enabled" : "disabled"}\t${routes}`,
            );
          }
        });
      }),
  );
  changeOptions(carrier.command("remove <name>").description("remove a carrier")).action(
    (name: string, o: ChangeOptions) =>
      withOps(o, async (ops) => {
        await ops.removeCarrier(cliActor(o), name);
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
      await ops.addCarrierRoute(cliActor(o), name, prefix);
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
      await ops.removeCarrierRoute(cliActor(o), name, prefix);
      print(`carrier ${name} no longer takes ${prefix}`);
    }),
  );
}
