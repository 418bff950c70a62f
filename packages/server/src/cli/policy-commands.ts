import { DESTINATION_CLASSES, loadNumberingPlan } from "@centrex/dialplan";
import type { BarringRequest } from "@centrex/operations";
import type { Command } from "commander";
import { print, when } from "./output.js";
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

type ListOptions = DbOptions & { json?: boolean };

/** The destination classes with their label and default, for `barring --help`. */
function classHelp(): string {
  const plan = loadNumberingPlan();
  const lines = DESTINATION_CLASSES.map(
    (c) => `  ${c.padEnd(26)}${plan.classes[c].label} (default: ${plan.classes[c].defaultAccess})`,
  );
  return [
    "",
    "Destination classes (French numbering plan shipped with centrex):",
    ...lines,
    "",
    'A class barred by default opens only to "pin": callers then dial *PIN# before the number.',
    'The customer needs a PIN code first (centrex pin add). "default" returns a class to its default.',
  ].join("\n");
}

/**
 * The operator's rules per customer: numbers (DIDs), the fallback number, emergency location,
 * barring, PIN codes and suspension. Every change goes through the operations layer (the
 * service terms' rules, the audit log) and is applied live (the switch reads the store on each
 * call).
 */
export function registerPolicyCommands(program: Command): void {
  const did = program.command("did").description("a customer's phone numbers (DIDs): add, list, remove");
  changeOptions(
    did
      .command("add <domain> <e164>")
      .description("allocate a French geographic number (+331… to +335…) to a customer"),
  )
    .option("--extension <number>", "calls to it ring this extension")
    .option("--group <number>", "calls to it ring this ring group")
    .option("--main", "make it the customer's main number")
    .action(
      (
        domain: string,
        number: string,
        o: ChangeOptions & { extension?: string; group?: string; main?: boolean },
      ) =>
        withOps(o, async (ops) => {
          if (o.extension !== undefined && o.group !== undefined)
            throw new CliError(
              `--extension ${o.extension} and --group ${o.group}: a number rings one target, give one of them`,
            );
          const target =
            o.extension !== undefined
              ? { kind: "extension" as const, number: o.extension }
              : o.group !== undefined
                ? { kind: "group" as const, number: o.group }
                : undefined;
          const n = await ops.addNumber(cliActor(o), domain, {
            e164: number,
            ...(target && { target }),
            main: o.main === true,
          });
          print(`number ${n.e164} allocated to ${domain}${n.isMain ? " (main)" : ""}`);
        }),
    );
  jsonOption(
    dbOptions(did.command("list <domain>").description("list a customer's numbers and where they ring")),
  ).action((domain: string, o: ListOptions) =>
    withOps(o, async (ops) => {
      const list = await ops.listNumbers(domain);
      output(o, list, () => {
        for (const n of list) {
          const t = n.target === null ? "unrouted" : `${n.target.kind} ${n.target.number}`;
          print(`${n.e164}\t${t}${n.isMain ? "\tmain" : ""}`);
        }
      });
    }),
  );
  changeOptions(did.command("remove <domain> <e164>").description("give a number back")).action(
    (domain: string, number: string, o: ChangeOptions) =>
      withOps(o, async (ops) => {
        await ops.removeNumber(cliActor(o), domain, number);
        print(`number ${number} removed from ${domain}`);
      }),
  );

  changeOptions(
    program
      .command("fallback <domain> <e164>")
      .description('fixed or mobile number the main number goes to during an outage ("none" clears it)'),
  ).action((domain: string, number: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      await ops.setFallback(cliActor(o), domain, number === "none" ? null : number);
      print(`fallback of ${domain}: ${number}`);
    }),
  );

  changeOptions(
    program
      .command("emergency <domain>")
      .description("declare where the customer is; emergency calls are refused until it is declared")
      .requiredOption("--department <code>", "department, e.g. 75, 2A, 971")
      .requiredOption("--commune <insee>", "INSEE commune code, in that department, e.g. 75056"),
  ).action((domain: string, o: ChangeOptions & { department: string; commune: string }) =>
    withOps(o, async (ops) => {
      const p = await ops.declareEmergency(cliActor(o), domain, o.department, o.commune);
      print(
        `emergency location of ${domain}: department ${p.emergencyDepartment}, commune ${p.emergencyCommune}`,
      );
    }),
  );

  changeOptions(
    program
      .command("barring <domain> <class> <access>")
      .description("set a destination class to allow, pin, deny or default (audited)")
      .addHelpText("after", classHelp),
  ).action((domain: string, cls: string, access: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      const before = (await ops.policy(domain)).barringOverrides[cls] ?? "default";
      const p = await ops.setBarring(cliActor(o), domain, cls, access as BarringRequest);
      print(`${domain}: ${cls} ${before} -> ${p.barringOverrides[cls] ?? "default"}`);
    }),
  );

  const pin = program
    .command("pin")
    .description(
      "a customer's 4-digit PIN codes, dialled *PIN# before costly numbers: add, list, change, remove",
    );
  changeOptions(pin.command("add <domain> <label>").description("add a PIN code (stored hashed)"))
    .requiredOption("--code <pin>", "4 digits, different from the customer's other codes")
    .action((domain: string, label: string, o: ChangeOptions & { code: string }) =>
      withOps(o, async (ops) => {
        await ops.addPin(cliActor(o), domain, label, o.code);
        print(`PIN "${label}" added to ${domain}`);
      }),
    );
  changeOptions(pin.command("change <domain> <label>").description("give a PIN a new code"))
    .requiredOption("--code <pin>", "4 digits")
    .action((domain: string, label: string, o: ChangeOptions & { code: string }) =>
      withOps(o, async (ops) => {
        await ops.changePin(cliActor(o), domain, label, o.code);
        print(`PIN "${label}" of ${domain} changed`);
      }),
    );
  jsonOption(
    dbOptions(pin.command("list <domain>").description("list PIN labels (codes are never shown)")),
  ).action((domain: string, o: ListOptions) =>
    withOps(o, async (ops) => {
      const list = await ops.listPins(domain);
      output(o, list, () => {
        for (const p of list) print(`${p.label}\tchanged ${when(p.updatedAt)}`);
      });
    }),
  );
  changeOptions(pin.command("remove <domain> <label>").description("remove a PIN code")).action(
    (domain: string, label: string, o: ChangeOptions) =>
      withOps(o, async (ops) => {
        await ops.removePin(cliActor(o), domain, label);
        print(`PIN "${label}" removed from ${domain}`);
      }),
  );

  changeOptions(
    program
      .command("suspend <domain>")
      .description(
        "suspend a customer: --non-payment (every outgoing call but emergency) and/or --pstn partial|total (abuse: the public network only, internal calls keep working)",
      )
      .option("--non-payment", "contract suspension for non-payment")
      .option("--pstn <scope>", "public network only: partial (international) or total")
      .option("--reason <text>", "why (shown in customer list and show)"),
  ).action((domain: string, o: ChangeOptions & { nonPayment?: boolean; pstn?: string; reason?: string }) =>
    withOps(o, async (ops) => {
      if (o.nonPayment !== true && o.pstn === undefined)
        throw new CliError("say --non-payment or --pstn partial|total");
      if (o.pstn !== undefined && o.pstn !== "partial" && o.pstn !== "total")
        throw new CliError(`--pstn: expected partial or total, got "${o.pstn}"`);
      const c = await ops.suspend(cliActor(o), domain, {
        ...(o.nonPayment === true && { nonPayment: true }),
        ...(o.pstn !== undefined && { pstn: o.pstn as "partial" | "total" }),
        ...(o.reason !== undefined && { reason: o.reason }),
      });
      print(`${c.domain} suspended: ${c.suspensions.map((s) => s.kind).join(", ")}`);
    }),
  );
  changeOptions(
    program
      .command("resume <domain>")
      .description("lift a customer's suspensions (all of them, or only --non-payment / --pstn)")
      .option("--non-payment", "only the non-payment suspension")
      .option("--pstn", "only the public-network suspension"),
  ).action((domain: string, o: ChangeOptions & { nonPayment?: boolean; pstn?: boolean }) =>
    withOps(o, async (ops) => {
      const c = await ops.resume(cliActor(o), domain, {
        ...(o.nonPayment === true && { nonPayment: true }),
        ...(o.pstn === true && { pstn: true }),
      });
      print(`${c.domain} resumed: ${c.status}`);
    }),
  );

  jsonOption(
    dbOptions(
      program
        .command("audit")
        .description("the audit log of changes, newest first: who, when, what, before and after")
        .option("--customer <domain>", "only the entries of the customer that has this domain now")
        .option(
          "--include-deleted",
          "with --customer: also the entries of deleted customers that had the domain",
        )
        .option("--customer-id <id>", "only this customer's entries, by id (a deleted customer's too)")
        .option("--limit <n>", "at most this many entries (1-10000)", "50"),
    ),
  ).action(
    (o: ListOptions & { customer?: string; customerId?: string; includeDeleted?: boolean; limit: string }) =>
      withOps(o, async (ops) => {
        if (!/^[1-9][0-9]{0,4}$/.test(o.limit))
          throw new CliError(`--limit: expected 1 to 10000, got "${o.limit}"`);
        if (o.customerId !== undefined && !/^[1-9][0-9]{0,14}$/.test(o.customerId))
          throw new CliError(`--customer-id: expected a customer id (a whole number), got "${o.customerId}"`);
        if (o.customerId !== undefined && o.customer !== undefined)
          throw new CliError("--customer and --customer-id: give one, not both");
        if (o.includeDeleted === true && o.customer === undefined)
          throw new CliError("--include-deleted: give --customer DOMAIN too");
        const list = await ops.audit({
          limit: Number(o.limit),
          ...(o.customer !== undefined && { customer: o.customer }),
          ...(o.customerId !== undefined && { customerId: Number(o.customerId) }),
          ...(o.includeDeleted === true && { includeDeleted: true }),
        });
        output(o, list, () => {
          for (const e of list)
            print(
              `${when(e.at)}\t${e.actor}\t${e.action}\t${e.customerId === null ? "-" : `customer #${e.customerId}`}\t${JSON.stringify(e.detail)}`,
            );
        });
      }),
  );
}
