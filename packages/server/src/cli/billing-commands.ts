import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BillingError,
  exportCustomerCdrs,
  invoiceToHtml,
  type LedgerKey,
  loadLedgerKey,
  parseTariffBook,
  runInvoices,
  verifyLedger,
} from "@centrex/billing";
import { openSqliteStore, type Store, StoreError } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfigFile } from "../config/load.js";

interface DbOptions {
  db?: string;
  config?: string;
}

function dbPath(o: DbOptions): string {
  if (o.db !== undefined) return o.db;
  if (o.config !== undefined) return loadConfigFile(o.config).store.path;
  return "./centrex.db";
}

/** A usage error of a billing command: printed, exit code 2. */
class BillingCliError extends Error {
  override name = "BillingCliError";
}

/** Opens the store, runs `fn`, closes it; expected errors become one line on stderr and exit 2. */
async function withStore(o: DbOptions, fn: (store: Store) => Promise<void>): Promise<void> {
  let store: Store | undefined;
  try {
    store = openSqliteStore(dbPath(o));
    await fn(store);
  } catch (err) {
    if (err instanceof StoreError || err instanceof BillingError || err instanceof BillingCliError) {
      console.error(`centrex: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  } finally {
    await store?.close();
  }
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BillingCliError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function ledgerKey(path: string): LedgerKey {
  return loadLedgerKey(readFile(path, "ledger key"));
}

function day(value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  )
    throw new InvalidArgumentError("expected a date YYYY-MM-DD");
  return value;
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError("expected a month YYYY-MM");
  return value;
}

async function customerByDomain(store: Store, domain: string) {
  const c = await store.customers.findByDomain(domain.toLowerCase());
  if (c === undefined) throw new BillingCliError(`no customer with domain ${domain}`);
  return c;
}

function dbOptions(cmd: Command): Command {
  return cmd
    .option("--db <path>", "SQLite database file (default: the config's, else ./centrex.db)")
    .option("--config <file>", "read the database path from this configuration file");
}

export function registerBillingCommands(program: Command): void {
  const cdr = program.command("cdr").description("call records (the tamper-evident ledger)");
  dbOptions(cdr.command("verify").description("walk every node's hash chain; exit 1 on the first fault"))
    .option("--key <file>", "ledger key: PEM (private or public) or 32-byte seed", "./ledger.key")
    .option("--node <name>", "verify only this node's chain")
    .action((o: DbOptions & { key: string; node?: string }) =>
      withStore(o, async (store) => {
        const report = await verifyLedger(store, ledgerKey(o.key), o.node ? { nodes: [o.node] } : {});
        for (const n of report.nodes) {
          const state = n.fault ? `FAULT ${n.fault.kind} at ${n.fault.seq}: ${n.fault.detail}` : "ok";
          console.log(`${n.node}\t${n.records} records\tseq ${n.firstSeq}..${n.lastSeq}\t${state}`);
        }
        if (!report.ok) process.exitCode = 1;
      }),
    );
  dbOptions(cdr.command("export").description("a customer's call detail for a period (CG art. 12)"))
    .requiredOption("--customer <domain>", "the customer's domain")
    .requiredOption("--from <date>", "first day, YYYY-MM-DD (UTC)", day)
    .requiredOption("--to <date>", "last day included, YYYY-MM-DD (UTC)", day)
    .option("--format <format>", "csv or json", "csv")
    .action((o: DbOptions & { customer: string; from: string; to: string; format: string }) =>
      withStore(o, async (store) => {
        if (o.format !== "csv" && o.format !== "json")
          throw new BillingCliError(`--format: expected csv or json, got ${o.format}`);
        if (o.to < o.from) throw new BillingCliError("--to is before --from");
        const c = await customerByDomain(store, o.customer);
        const from = Date.parse(`${o.from}T00:00:00Z`);
        const to = Date.parse(`${o.to}T00:00:00Z`) + 86_400_000;
        process.stdout.write(await exportCustomerCdrs(store, c.id, from, to, o.format));
      }),
    );

  const invoice = program.command("invoice").description("invoices");
  dbOptions(invoice.command("run").description("issue the month's invoices (monthly, or bimonthly when low)"))
    .requiredOption("--month <month>", "the month to invoice, YYYY-MM", month)
    .option("--customer <domain>", "only this customer")
    .option("--tariffs <file>", "tariff book (JSON, see packages/billing/data)", "./tariffs.json")
    .option("--issued-on <date>", "issue date (default: the 1st of the next month)", day)
    .option("--out <dir>", "write <domain>-<period>.json and .html for each invoice here")
    .action(
      (
        o: DbOptions & { month: string; customer?: string; tariffs: string; issuedOn?: string; out?: string },
      ) =>
        withStore(o, async (store) => {
          let raw: unknown;
          try {
            raw = JSON.parse(readFile(o.tariffs, "tariff book").toString("utf8"));
          } catch (err) {
            if (err instanceof BillingCliError) throw err;
            throw new BillingCliError(`${o.tariffs}: invalid JSON: ${(err as Error).message}`);
          }
          const book = parseTariffBook(raw);
          const ids = o.customer ? [(await customerByDomain(store, o.customer)).id] : undefined;
          const results = await runInvoices(store, book, o.month, {
            ...(ids && { customerIds: ids }),
            ...(o.issuedOn !== undefined && { issuedOn: o.issuedOn }),
          });
          if (o.out !== undefined) mkdirSync(o.out, { recursive: true });
          for (const r of results) {
            const inv = r.invoice;
            if (!inv) {
              console.log(`${r.customer.domain}\t${r.outcome}`);
              continue;
            }
            console.log(
              `${r.customer.domain}\tinvoiced\t${inv.periodStart}..${inv.periodEnd}\t${(inv.totalCents / 100).toFixed(2)} EUR\tdebit ${inv.debitOn}`,
            );
            if (o.out !== undefined) {
              const base = join(o.out, `${r.customer.domain}-${inv.periodStart}`);
              writeFileSync(`${base}.json`, `${JSON.stringify(inv, null, 2)}\n`);
              writeFileSync(`${base}.html`, invoiceToHtml(inv));
            }
          }
        }),
    );
}
