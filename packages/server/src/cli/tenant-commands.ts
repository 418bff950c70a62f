import type { Command } from "commander";
import { print } from "./output.js";
import { type PasswordOptions, resolvePassword } from "./password-input.js";
import { CliError, customerByDomain, type DbOptions, dbOptions, withStore } from "./store-command.js";

export function registerTenantCommands(program: Command): void {
  const customer = program.command("customer").description("manage customers (tenants)");
  dbOptions(customer.command("add <name>").description("create a customer"))
    .requiredOption("--domain <domain>", "the customer's SIP domain (also the digest realm)")
    .action((name: string, o: DbOptions & { domain: string }) =>
      withStore(o, async (store) => {
        const c = await store.customers.create({ name, domain: o.domain });
        print(`customer ${c.id} ${c.name} ${c.domain}`);
      }),
    );
  dbOptions(customer.command("list").description("list customers")).action((o: DbOptions) =>
    withStore(o, async (store) => {
      for (const c of await store.customers.list()) print(`${c.id}\t${c.domain}\t${c.status}\t${c.name}`);
    }),
  );
  dbOptions(
    customer.command("remove <domain>").description("delete a customer and everything it owns"),
  ).action((domain: string, o: DbOptions) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      await store.customers.delete(c.id);
      print(`customer ${c.domain} removed`);
    }),
  );

  const ext = program.command("extension").description("manage extensions (phone accounts)");
  dbOptions(ext.command("add <domain> <number>").description("create an extension"))
    .option("--password <password>", "SIP password (default: a strong one is generated and printed once)")
    .option("--password-stdin", "read the SIP password from the first line of standard input")
    .option("--name <display>", "display name")
    .action((domain: string, number: string, o: DbOptions & PasswordOptions & { name?: string }) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        const pw = await resolvePassword(o, number, c.domain);
        const e = await store.extensions.create({
          customerId: c.id,
          number,
          password: pw.password,
          ...(o.name !== undefined && { displayName: o.name }),
        });
        print(`extension ${e.number}@${c.domain} created`);
        if (pw.generated) print(`password: ${pw.password}  (shown once: only its digest hashes are stored)`);
      }),
    );
  dbOptions(ext.command("list <domain>").description("list a customer's extensions")).action(
    (domain: string, o: DbOptions) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        const now = Date.now();
        for (const e of await store.extensions.listByCustomer(c.id)) {
          const n = await store.locations.count(e.id, now);
          print(`${e.number}\t${e.enabled ? "enabled" : "disabled"}\t${n} registered\t${e.displayName}`);
        }
      }),
  );
  dbOptions(ext.command("remove <domain> <number>").description("delete an extension")).action(
    (domain: string, number: string, o: DbOptions) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        const e = await store.extensions.find(c.id, number);
        if (e === undefined) throw new CliError(`no extension ${number} in ${c.domain}`);
        await store.extensions.delete(e.id);
        print(`extension ${number}@${c.domain} removed`);
      }),
  );
  dbOptions(ext.command("passwd <domain> <number>").description("set an extension's SIP password"))
    .option("--password <password>", "new SIP password (default: a strong one is generated and printed once)")
    .option("--password-stdin", "read the new SIP password from the first line of standard input")
    .action((domain: string, number: string, o: DbOptions & PasswordOptions) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        const e = await store.extensions.find(c.id, number);
        if (e === undefined) throw new CliError(`no extension ${number} in ${c.domain}`);
        const pw = await resolvePassword(o, number, c.domain);
        await store.extensions.setPassword(e.id, pw.password);
        print(`password of ${number}@${c.domain} changed`);
        if (pw.generated) print(`password: ${pw.password}  (shown once: only its digest hashes are stored)`);
      }),
    );
}
