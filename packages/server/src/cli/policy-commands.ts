import { isDestinationClass } from "@centrex/dialplan";
import type { BarringOverride, Store } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import { CliError, customerByDomain, type DbOptions, dbOptions, withStore } from "./store-command.js";

interface ActorOptions extends DbOptions {
  by: string;
}

/** Who made a change, for the audit log (rule 19: opening a barred class is recorded). */
function actor(o: ActorOptions): string {
  return `cli:${o.by}`;
}

function withActor(cmd: Command): Command {
  return dbOptions(cmd).option(
    "--by <who>",
    "who asked for the change (recorded in the audit log)",
    process.env.USER ?? "operator",
  );
}

async function audit(store: Store, o: ActorOptions, action: string, customerId: number, detail: unknown) {
  await store.audit.append({ actor: actor(o), action, customerId, detail });
}

function e164(value: string): string {
  if (!/^\+[1-9][0-9]{6,14}$/.test(value))
    throw new InvalidArgumentError("expected an E.164 number, e.g. +33123456789");
  return value;
}

/**
 * The operator's rules per customer: numbers (DIDs), the fallback number,
 * emergency location, barring, PIN codes and suspension. Every change is
 * applied live (the switch reads the store on each call) and audited.
 */
export function registerPolicyCommands(program: Command): void {
  const did = program.command("did").description("manage a customer's phone numbers (DIDs)");
  withActor(did.command("add <domain> <e164>").description("allocate a number to a customer"))
    .option("--extension <number>", "ring this extension")
    .option("--group <number>", "ring this ring group")
    .option("--main", "make it the customer's main number")
    .action(
      (
        domain: string,
        number: string,
        o: ActorOptions & { extension?: string; group?: string; main?: boolean },
      ) =>
        withStore(o, async (store) => {
          const c = await customerByDomain(store, domain);
          let target = null as { kind: "extension" | "group"; id: number } | null;
          if (o.extension !== undefined) {
            const e = await store.extensions.find(c.id, o.extension);
            if (e === undefined) throw new CliError(`no extension ${o.extension} in ${c.domain}`);
            target = { kind: "extension", id: e.id };
          } else if (o.group !== undefined) {
            const g = await store.ringGroups.find(c.id, o.group);
            if (g === undefined) throw new CliError(`no ring group ${o.group} in ${c.domain}`);
            target = { kind: "group", id: g.id };
          }
          const n = await store.numbers.create({
            e164: e164(number),
            customerId: c.id,
            target,
            isMain: o.main === true,
          });
          await audit(store, o, "did.add", c.id, { e164: n.e164, target, main: n.isMain });
          print(`number ${n.e164} allocated to ${c.domain}${n.isMain ? " (main)" : ""}`);
        }),
    );
  dbOptions(did.command("list <domain>").description("list a customer's numbers")).action(
    (domain: string, o: DbOptions) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        for (const n of await store.numbers.listByCustomer(c.id)) {
          const t = n.target === null ? "unrouted" : `${n.target.kind}:${n.target.id}`;
          print(`${n.e164}\t${t}${n.isMain ? "\tmain" : ""}`);
        }
      }),
  );

  withActor(
    program
      .command("fallback <domain> <e164>")
      .description("number the main number goes to during an outage"),
  ).action((domain: string, number: string, o: ActorOptions) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      await store.policies.update(c.id, { fallbackNumber: e164(number) });
      await audit(store, o, "policy.fallback", c.id, { fallbackNumber: number });
      print(`fallback of ${c.domain}: ${number}`);
    }),
  );

  withActor(
    program
      .command("emergency <domain>")
      .description("declare where the customer is, so emergency calls are routed (rule 15)")
      .requiredOption("--department <code>", "department, e.g. 75, 2A, 971")
      .requiredOption("--commune <insee>", "INSEE commune code, e.g. 75056"),
  ).action((domain: string, o: ActorOptions & { department: string; commune: string }) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      await store.policies.update(c.id, { emergencyDepartment: o.department, emergencyCommune: o.commune });
      await audit(store, o, "policy.emergency", c.id, { department: o.department, commune: o.commune });
      print(`emergency location of ${c.domain}: ${o.department} / ${o.commune}`);
    }),
  );

  withActor(
    program
      .command("barring <domain> <class> <access>")
      .description("set a destination class to allow, pin or deny (opening a barred class is audited)"),
  ).action((domain: string, cls: string, access: string, o: ActorOptions) =>
    withStore(o, async (store) => {
      if (!isDestinationClass(cls)) throw new CliError(`unknown destination class "${cls}"`);
      if (access !== "allow" && access !== "pin" && access !== "deny") {
        throw new CliError(`access must be allow, pin or deny (got "${access}")`);
      }
      const c = await customerByDomain(store, domain);
      const p = await store.policies.get(c.id);
      const before = p.barringOverrides[cls] ?? "default";
      await store.policies.update(c.id, {
        barringOverrides: { ...p.barringOverrides, [cls]: access as BarringOverride },
      });
      await audit(store, o, "policy.barring", c.id, { class: cls, from: before, to: access });
      print(`${c.domain}: ${cls} ${before} -> ${access}`);
    }),
  );

  const pin = program.command("pin").description("manage a customer's 4-digit PIN codes (rule 18)");
  withActor(pin.command("add <domain> <label>").requiredOption("--code <pin>", "4 digits")).action(
    (domain: string, label: string, o: ActorOptions & { code: string }) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        await store.pins.create(c.id, label, o.code);
        await audit(store, o, "pin.add", c.id, { label });
        print(`PIN "${label}" added to ${c.domain}`);
      }),
  );
  dbOptions(pin.command("list <domain>")).action((domain: string, o: DbOptions) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      for (const p of await store.pins.list(c.id)) print(p.label);
    }),
  );
  withActor(pin.command("remove <domain> <label>")).action((domain: string, label: string, o: ActorOptions) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      const p = (await store.pins.list(c.id)).find((x) => x.label === label);
      if (p === undefined) throw new CliError(`no PIN "${label}" in ${c.domain}`);
      await store.pins.delete(p.id);
      await audit(store, o, "pin.remove", c.id, { label });
      print(`PIN "${label}" removed from ${c.domain}`);
    }),
  );

  withActor(
    program
      .command("suspend <domain>")
      .description(
        "suspend a customer: --non-payment (all outgoing but emergency) or --pstn partial|total (abuse)",
      )
      .option("--non-payment", "contract suspension for non-payment (rule 17)")
      .option("--pstn <scope>", "PSTN access only: partial (international) or total (rule 16)")
      .option("--reason <text>", "why"),
  ).action((domain: string, o: ActorOptions & { nonPayment?: boolean; pstn?: string; reason?: string }) =>
    withStore(o, async (store) => {
      const c = await customerByDomain(store, domain);
      if (o.nonPayment !== true && o.pstn === undefined)
        throw new CliError("say --non-payment or --pstn partial|total");
      if (o.pstn !== undefined && o.pstn !== "partial" && o.pstn !== "total") {
        throw new CliError(`--pstn must be partial or total (got "${o.pstn}")`);
      }
      if (o.nonPayment === true) await store.customers.update(c.id, { status: "suspended" });
      if (o.pstn !== undefined) {
        await store.policies.update(c.id, {
          pstnSuspension: o.pstn as "partial" | "total",
          pstnSuspensionReason: o.reason ?? null,
        });
      }
      await audit(store, o, "customer.suspend", c.id, {
        nonPayment: o.nonPayment === true,
        pstn: o.pstn,
        reason: o.reason,
      });
      print(
        `${c.domain} suspended${o.nonPayment ? " (non-payment)" : ""}${o.pstn ? ` (PSTN ${o.pstn})` : ""}`,
      );
    }),
  );
  withActor(program.command("resume <domain>").description("lift every suspension of a customer")).action(
    (domain: string, o: ActorOptions) =>
      withStore(o, async (store) => {
        const c = await customerByDomain(store, domain);
        await store.customers.update(c.id, { status: "active" });
        await store.policies.update(c.id, { pstnSuspension: "none", pstnSuspensionReason: null });
        await audit(store, o, "customer.resume", c.id, {});
        print(`${c.domain} resumed`);
      }),
  );
}
