import { type CustomerView, describeSuspension } from "@centrex/operations";
import { type Command, InvalidArgumentError } from "commander";
import { print, when } from "./output.js";
import { type PasswordOptions, resolvePassword } from "./password-input.js";
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

type ListOptions = DbOptions & { json?: boolean };

function statusText(c: CustomerView): string {
  return c.suspensions.length === 0
    ? c.status
    : `${c.status}: ${c.suspensions.map(describeSuspension).join("; ")}`;
}

function onOff(value: string): boolean {
  if (value === "yes" || value === "on" || value === "true") return true;
  if (value === "no" || value === "off" || value === "false") return false;
  throw new InvalidArgumentError("expected yes or no");
}

/** Customers (tenants) and their extensions (phone accounts). */
export function registerTenantCommands(program: Command): void {
  const customer = program
    .command("customer")
    .description("customers (tenants): add, list, show, update, remove");
  changeOptions(customer.command("add <name>").description("create a customer"))
    .requiredOption(
      "--domain <domain>",
      "the customer's SIP domain (also the digest realm), e.g. pbx.acme.example",
    )
    .action((name: string, o: ChangeOptions & { domain: string }) =>
      withOps(o, async (ops) => {
        const c = await ops.addCustomer(cliActor(o), { name, domain: o.domain });
        print(`customer ${c.domain} (${c.name}) added, id ${c.id}`);
      }),
    );
  jsonOption(
    dbOptions(customer.command("list").description("list customers with their status and suspensions")),
  ).action((o: ListOptions) =>
    withOps(o, async (ops) => {
      const list = await ops.listCustomers();
      output(o, list, () => {
        for (const c of list) print(`${c.id}\t${c.domain}\t${statusText(c)}\t${c.name}`);
      });
    }),
  );
  jsonOption(
    dbOptions(
      customer
        .command("show <domain>")
        .description(
          "a customer's status, suspensions and policy: emergency location, barring, PINs, fallback",
        ),
    ),
  ).action((domain: string, o: ListOptions) =>
    withOps(o, async (ops) => {
      const d = await ops.showCustomer(domain);
      output(o, d, () => {
        const p = d.policy;
        const overrides = Object.entries(p.barringOverrides).map(([k, v]) => `${k}=${v}`);
        print(`customer\t${d.customer.domain} (${d.customer.name}), id ${d.customer.id}`);
        print(`status\t${d.customer.status}`);
        for (const s of d.customer.suspensions) print(`suspension\t${describeSuspension(s)}`);
        print(`extensions\t${d.extensions}`);
        print(`numbers\t${d.numbers}`);
        print(
          `emergency\t${p.emergencyDepartment === null ? "not declared (emergency calls are refused)" : `department ${p.emergencyDepartment}, commune ${p.emergencyCommune}`}`,
        );
        print(`barring\t${overrides.length === 0 ? "numbering plan defaults" : overrides.join(" ")}`);
        print(`pins\t${d.pins.length === 0 ? "none" : d.pins.join(", ")}`);
        print(`fallback\t${p.fallbackNumber ?? "none"}`);
        print(`telecom professional\t${p.telecomProfessional ? "yes" : "no"}`);
        print(`phones delivered\t${p.deliveryDate ?? "-"}`);
        print(`policy updated\t${when(p.updatedAt)}`);
      });
    }),
  );
  changeOptions(
    customer.command("update <domain>").description("change a customer's name or contract details"),
  )
    .option("--name <name>", "new name")
    .option(
      "--telecom-professional <yes|no>",
      "call centre, call shop…: own conditions, no unlimited offers",
      onOff,
    )
    .option(
      "--delivery-date <YYYY-MM-DD>",
      "day the first phones were delivered (subscription billing starts)",
    )
    .action(
      (
        domain: string,
        o: ChangeOptions & { name?: string; telecomProfessional?: boolean; deliveryDate?: string },
      ) =>
        withOps(o, async (ops) => {
          const c = await ops.updateCustomer(cliActor(o), domain, {
            ...(o.name !== undefined && { name: o.name }),
            ...(o.telecomProfessional !== undefined && { telecomProfessional: o.telecomProfessional }),
            ...(o.deliveryDate !== undefined && { deliveryDate: o.deliveryDate }),
          });
          print(`customer ${c.domain} updated`);
        }),
    );
  changeOptions(
    customer
      .command("terminate <domain>")
      .description("terminate the contract: no more service; records and invoices are kept"),
  ).action((domain: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      const c = await ops.terminateCustomer(cliActor(o), domain);
      print(`customer ${c.domain} terminated`);
    }),
  );
  changeOptions(
    customer
      .command("remove <domain>")
      .description("delete a customer and everything it owns (call records and the audit log are kept)"),
  ).action((domain: string, o: ChangeOptions) =>
    withOps(o, async (ops) => {
      await ops.removeCustomer(cliActor(o), domain);
      print(`customer ${domain} removed`);
    }),
  );

  const ext = program
    .command("extension")
    .description("extensions (phone accounts): add, list, enable, disable, remove");
  changeOptions(ext.command("add <domain> <number>").description("create an extension (2 to 6 digits)"))
    .option("--password <password>", "SIP password (default: a strong one is generated and printed once)")
    .option("--password-stdin", "read the SIP password from the first line of standard input")
    .option("--name <display>", "display name")
    .option("--disabled", "create it disabled (it cannot register until enabled)")
    .action(
      (
        domain: string,
        number: string,
        o: ChangeOptions & PasswordOptions & { name?: string; disabled?: boolean },
      ) =>
        withOps(o, async (ops) => {
          const c = await ops.customer(domain);
          const pw = await resolvePassword(o, number, c.domain);
          const e = await ops.addExtension(cliActor(o), domain, {
            number,
            password: pw.password,
            ...(o.name !== undefined && { displayName: o.name }),
            ...(o.disabled === true && { enabled: false }),
          });
          print(`extension ${e.number}@${c.domain} created${e.enabled ? "" : " (disabled)"}`);
          if (pw.generated)
            print(`password: ${pw.password}  (shown once: only its digest hashes are stored)`);
        }),
    );
  jsonOption(dbOptions(ext.command("list <domain>").description("list a customer's extensions"))).action(
    (domain: string, o: ListOptions) =>
      withOps(o, async (ops) => {
        const list = await ops.listExtensions(domain);
        output(o, list, () => {
          for (const e of list)
            print(
              `${e.number}\t${e.enabled ? "enabled" : "disabled"}\t${e.registered} registered\t${e.displayName}`,
            );
        });
      }),
  );
  changeOptions(ext.command("update <domain> <number>").description("change an extension's display name"))
    .requiredOption("--name <display>", "display name")
    .action((domain: string, number: string, o: ChangeOptions & { name: string }) =>
      withOps(o, async (ops) => {
        await ops.updateExtension(cliActor(o), domain, number, { displayName: o.name });
        print(`extension ${number}@${domain} renamed "${o.name}"`);
      }),
    );
  for (const [verb, enabled, what] of [
    ["disable", false, "stop an extension registering and calling (kept with its numbers and password)"],
    ["enable", true, "let a disabled extension register and call again"],
  ] as const) {
    changeOptions(ext.command(`${verb} <domain> <number>`).description(what)).action(
      (domain: string, number: string, o: ChangeOptions) =>
        withOps(o, async (ops) => {
          await ops.updateExtension(cliActor(o), domain, number, { enabled });
          print(`extension ${number}@${domain} ${verb}d`);
        }),
    );
  }
  changeOptions(ext.command("remove <domain> <number>").description("delete an extension")).action(
    (domain: string, number: string, o: ChangeOptions) =>
      withOps(o, async (ops) => {
        await ops.removeExtension(cliActor(o), domain, number);
        print(`extension ${number}@${domain} removed`);
      }),
  );
  changeOptions(ext.command("passwd <domain> <number>").description("set an extension's SIP password"))
    .option("--password <password>", "new SIP password (default: a strong one is generated and printed once)")
    .option("--password-stdin", "read the new SIP password from the first line of standard input")
    .action((domain: string, number: string, o: ChangeOptions & PasswordOptions) =>
      withOps(o, async (ops) => {
        const c = await ops.customer(domain);
        const pw = await resolvePassword(o, number, c.domain);
        await ops.setExtensionPassword(cliActor(o), domain, number, pw.password);
        print(`password of ${number}@${c.domain} changed`);
        if (pw.generated) print(`password: ${pw.password}  (shown once: only its digest hashes are stored)`);
      }),
    );
}
