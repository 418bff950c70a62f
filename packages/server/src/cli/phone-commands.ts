import { randomBytes } from "node:crypto";
import type { Operations, PhoneView } from "@centrex/operations";
import {
  defaultSealKeyPath,
  loadSealKey,
  PhoneCatalog,
  PhoneInventory,
  ProvisioningError,
} from "@centrex/provisioning";
import type { Store } from "@centrex/store";
import type { Command } from "commander";
import { print } from "./output.js";
import {
  type ChangeOptions,
  CliError,
  changeOptions,
  cliActor,
  type DbOptions,
  dbOptions,
  dbPath,
  jsonOption,
  output,
  reportExpected,
  withOps,
} from "./store-command.js";

/*
 * `centrex phone …`: the desk-phone inventory of provisioning. add/list/move/remove work on
 * the database like the other one-shot commands (the running switch serves the change on the
 * phone's next fetch); resync needs the running switch's SIP stack, so it asks the switch's
 * admin API (POST /phones/:mac/resync), which sends the check-sync NOTIFY and reports the
 * phone's answer.
 */

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface KeyOptions {
  extension: string[];
  blf: string[];
}

/** The inventory over `store`, with the config's templates and provisioning key (created on first need). */
async function inventoryOf(store: Store, o: DbOptions): Promise<PhoneInventory> {
  let catalog: PhoneCatalog;
  let keyPath: string;
  const path = await dbPath(o);
  if (o.config === undefined) {
    catalog = PhoneCatalog.load();
    keyPath = defaultSealKeyPath(path);
  } else {
    // Loaded only here: the config loader (zod, yaml) is slow to import for a one-shot command.
    const [{ loadConfigFile }, { loadCatalog, sealKeyPath }] = await Promise.all([
      import("../config/load.js"),
      import("../switch/provisioning.js"),
    ]);
    const config = loadConfigFile(o.config);
    catalog = loadCatalog(config);
    keyPath = o.db === undefined ? sealKeyPath(config) : defaultSealKeyPath(path);
  }
  const key = () => (path === ":memory:" ? randomBytes(32) : loadSealKey(keyPath, { create: true }));
  return new PhoneInventory(store, catalog, key);
}

/** The operations layer with this node's phone inventory: every phone change checked, in one transaction, audited. */
function withPhones(o: DbOptions, fn: (ops: Operations) => Promise<void>): Promise<void> {
  return withOps(
    o,
    (ops) => cli(() => fn(ops)),
    async (store) => ({ phones: await inventoryOf(store, o) }),
  );
}

/** Provisioning's input errors are the CLI's usage errors: one line, exit 2. */
async function cli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProvisioningError) throw new CliError(err.message);
    throw err;
  }
}

function describe(p: PhoneView): string {
  const blf = p.blf.length === 0 ? "" : `\tblf ${p.blf.join(",")}`;
  return `${p.mac}\t${p.model}\t${p.domain}\tlines ${p.lines.join(",") || "-"}${blf}`;
}

function keyOptions(cmd: Command): Command {
  return cmd
    .option(
      "--extension <ext>",
      "line key: an extension of the customer (repeat for more lines)",
      collect,
      [],
    )
    .option("--blf <ext>", "BLF key watching an extension of the customer (repeatable)", collect, []);
}

export function registerPhoneCommands(program: Command): void {
  const phone = program.command("phone").description("desk phones: inventory, provisioning, remote resync");

  keyOptions(
    changeOptions(phone.command("add <domain> <mac>").description("add a phone to a customer's inventory")),
  )
    .requiredOption("--model <model>", "phone model (e.g. T46S, VVX450, D785, GRP2614)")
    .action((domain: string, mac: string, o: ChangeOptions & KeyOptions & { model: string }) =>
      withPhones(o, async (ops) => {
        const added = await ops.phones.add(cliActor(o), {
          domain,
          mac,
          model: o.model,
          extensions: o.extension,
          blf: o.blf,
        });
        const p = added.phone;
        print(`phone ${describe(p)}`);
        print(`provisioning user ${p.mac} password ${added.credential} (shown once)`);
        for (const n of added.newPasswords)
          print(`extension ${n}@${p.domain}: new SIP password set; the phone receives it by provisioning`);
      }),
    );

  jsonOption(dbOptions(phone.command("list <domain>").description("list a customer's phones"))).action(
    (domain: string, o: DbOptions & { json?: boolean }) =>
      withPhones(o, async (ops) => {
        // As the API shows them: keys by extension number, never the provisioning credential's hash.
        const phones = await ops.phones.list(domain);
        output(o, phones, () => {
          for (const p of phones) print(describe(p));
        });
      }),
  );

  changeOptions(phone.command("remove <mac>").description("remove a phone from the inventory")).action(
    (mac: string, o: ChangeOptions) =>
      withPhones(o, async (ops) => {
        const p = await ops.phones.remove(cliActor(o), mac);
        print(`phone ${p.mac} removed`);
      }),
  );

  keyOptions(
    changeOptions(phone.command("move <mac>").description("point a phone's keys at other extensions")),
  ).action((mac: string, o: ChangeOptions & KeyOptions) =>
    withPhones(o, async (ops) => {
      const moved = await ops.phones.move(cliActor(o), mac, {
        extensions: o.extension,
        ...(o.blf.length > 0 && { blf: o.blf }),
      });
      print(`phone ${describe(moved.phone)}`);
      for (const n of moved.newPasswords)
        print(
          `extension ${n}@${moved.phone.domain}: new SIP password set; the phone receives it by provisioning`,
        );
    }),
  );

  phone
    .command("resync <mac>")
    .description("make a phone fetch its configuration now (check-sync NOTIFY from the running switch)")
    .option("--config <file>", "the running switch's configuration (its admin address, port and first token)")
    .option("--api <url>", "the switch's admin API URL (default: from --config)")
    .option("--token <token>", "admin API token (default: $CENTREX_API_TOKEN, else the config's first)")
    .action(async (mac: string, o: { config?: string; api?: string; token?: string }) => {
      try {
        await resync(mac, o);
      } catch (err) {
        if (!(await reportExpected(err))) throw err;
      }
    });
}

interface ResyncAnswer {
  mac: string;
  event: string;
  attempts: { extension: string; contact: string; remote: string; outcome: number | string }[];
}

async function resync(mac: string, o: { config?: string; api?: string; token?: string }): Promise<void> {
  const config =
    o.config === undefined ? undefined : (await import("../config/load.js")).loadConfigFile(o.config);
  const host = config?.admin.address.includes(":") ? `[${config.admin.address}]` : config?.admin.address;
  const url = o.api ?? (config === undefined ? undefined : `http://${host}:${config.admin.port}`);
  const token = o.token ?? process.env.CENTREX_API_TOKEN ?? config?.admin.tokens[0]?.token;
  if (url === undefined)
    throw new CliError("phone resync: give --config FILE or --api URL (the running switch)");
  if (token === undefined)
    throw new CliError("phone resync: no admin token (--token, $CENTREX_API_TOKEN or admin.tokens)");
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/$/, "")}/phones/${encodeURIComponent(mac)}/resync`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(40_000),
    });
  } catch (err) {
    throw new CliError(`phone resync: switch not reachable at ${url}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as
    | ResyncAnswer
    | { error?: { message?: string } }
    | undefined;
  if (!res.ok) {
    const msg =
      (body as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${res.status}`;
    throw new CliError(`phone resync: ${msg}`);
  }
  const r = body as ResyncAnswer;
  if (r.attempts.length === 0) {
    print(`phone ${r.mac}: not registered, no check-sync sent (it fetches at its next boot or poll)`);
    process.exitCode = 1;
    return;
  }
  for (const a of r.attempts) print(`phone ${r.mac}: ${r.event} to ${a.contact} (${a.remote}): ${a.outcome}`);
  // A final answer of any kind proves the NOTIFY reached the phone; no answer is a failure.
  if (r.attempts.every((a) => typeof a.outcome !== "number")) process.exitCode = 1;
}
