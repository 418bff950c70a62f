import type { CarrierTransport, NumberFormat } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import { CliError, type DbOptions, dbOptions, withStore } from "./store-command.js";

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

interface CarrierOptions extends DbOptions {
  host: string;
  port?: number;
  transport?: CarrierTransport;
  username?: string;
  password?: string;
  format?: NumberFormat;
  priority?: number;
  weight?: number;
}

/**
 * SIP trunks to PSTN carriers and the prefixes each one takes. The running
 * switch picks changes up within `trunk.reloadSeconds`, without dropping calls.
 */
export function registerCarrierCommands(program: Command): void {
  const carrier = program.command("carrier").description("manage PSTN carriers (SIP trunks)");
  dbOptions(carrier.command("add <name>").description("add a carrier"))
    .requiredOption("--host <host>", "IP address or DNS name (RFC 3263 NAPTR/SRV/A)")
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
    .option("--weight <n>", "share among equal priorities", int)
    .action((name: string, o: CarrierOptions) =>
      withStore(o, async (store) => {
        const c = await store.carriers.create({
          name,
          host: o.host,
          ...(o.port !== undefined && { port: o.port }),
          ...(o.transport !== undefined && { transport: o.transport }),
          ...(o.username !== undefined && { username: o.username }),
          ...(o.password !== undefined && { password: o.password }),
          ...(o.format !== undefined && { numberFormat: o.format }),
          ...(o.priority !== undefined && { priority: o.priority }),
          ...(o.weight !== undefined && { weight: o.weight }),
        });
        print(`carrier ${c.name} ${c.transport}:${c.host}:${c.port} priority ${c.priority}`);
      }),
    );
  dbOptions(carrier.command("list").description("list carriers and their prefixes")).action((o: DbOptions) =>
    withStore(o, async (store) => {
      for (const c of await store.carriers.list()) {
        const routes = (await store.carriers.listRoutes(c.id)).map((r) => r.prefix || "*").join(",");
        print(
          `${c.name}\t${c.transport}:${c.host}:${c.port}\tpriority ${c.priority}\tweight ${c.weight}\t${c.numberFormat}\t${routes}`,
        );
      }
    }),
  );
  dbOptions(carrier.command("remove <name>").description("remove a carrier")).action(
    (name: string, o: DbOptions) =>
      withStore(o, async (store) => {
        const c = await store.carriers.findByName(name);
        if (c === undefined) throw new CliError(`no carrier ${name}`);
        await store.carriers.delete(c.id);
        print(`carrier ${name} removed`);
      }),
  );
  dbOptions(
    carrier
      .command("route <name> <prefix>")
      .description(
        'let a carrier take destinations starting with PREFIX (E.164 digits, e.g. 33; "any" for all)',
      ),
  ).action((name: string, prefix: string, o: DbOptions) =>
    withStore(o, async (store) => {
      const c = await store.carriers.findByName(name);
      if (c === undefined) throw new CliError(`no carrier ${name}`);
      const p = prefix === "any" ? "" : prefix.replace(/^\+/, "");
      if (!/^\d*$/.test(p)) throw new CliError(`prefix must be digits or "any" (got "${prefix}")`);
      await store.carriers.addRoute(c.id, p);
      print(`carrier ${name} takes ${p === "" ? "any destination" : `+${p}…`}`);
    }),
  );
}
