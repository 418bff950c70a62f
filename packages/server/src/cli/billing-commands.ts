import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  exportCustomerCdrs,
  invoiceToHtml,
  type LedgerKey,
  loadLedgerKey,
  parseTariffBook,
  runInvoices,
  verifyLedger,
} from "@centrex/billing";
import { type Command, InvalidArgumentError } from "commander";
import { EXIT_FAULT, print, printJson } from "./output.js";
import { CliError, customerByDomain, type DbOptions, dbOptions, dbPath, withStore } from "./store-command.js";

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function ledgerKey(path: string): LedgerKey {
  return loadLedgerKey(readFile(path, "ledger key"));
}

/** A real calendar day: "2026-13-01" and "2026-02-30" are refused (naming the flag and value). */
function day(value: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError("expected a calendar date YYYY-MM-DD");
  return value;
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError("expected a month YYYY-MM");
  return value;
}

export function registerBillingCommands(program: Command): void {
  const cdr = program.command("cdr").description("call records (the tamper-evident ledger)");
  dbOptions(cdr.command("verify").description("walk every node's hash chain; exit 1 on the first fault"))
    .option(
      "--key <file>",
      "ledger key: PEM (private or public) or 32-byte seed (default: <db>.ledger-key.pem)",
    )
    .option("--node <name>", "verify only this node's chain")
    .option("--json", "print the report as JSON")
    .action((o: DbOptions & { key?: string; node?: string; json?: boolean }) =>
      withStore(o, async (store) => {
        const report = await verifyLedger(
          store,
          ledgerKey(o.key ?? `${await dbPath(o)}.ledger-key.pem`),
          o.node ? { nodes: [o.node] } : {},
        );
        if (o.json === true) printJson(report);
        else
          for (const n of report.nodes) {
            const state = n.fault ? `FAULT ${n.fault.kind} at ${n.fault.seq}: ${n.fault.detail}` : "ok";
            print(`${n.node}\t${n.records} records\tseq ${n.firstSeq}..${n.lastSeq}\t${state}`);
          }
        if (!report.ok) process.exitCode = EXIT_FAULT;
      }),
    );
  dbOptions(
    cdr
      .command("export")
      .description("a customer's detail of calls for a period, as the customer may ask for it"),
  )
    .requiredOption("--customer <domain>", "the customer's domain")
    .requiredOption("--from <date>", "first day, YYYY-MM-DD (UTC)", day)
    .requiredOption("--to <date>", "last day included, YYYY-MM-DD (UTC)", day)
    .option("--format <format>", "csv or json", "csv")
    .action((o: DbOptions & { customer: string; from: string; to: string; format: string }) =>
      withStore(o, async (store) => {
        if (o.format !== "csv" && o.format !== "json")
          throw new CliError(`--format: expected csv or json, got ${o.format}`);
        if (o.to < o.from) throw new CliError(`--to ${o.to} is before --from ${o.from}`);
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
            if (err instanceof CliError) throw err;
            throw new CliError(`${o.tariffs}: invalid JSON: ${(err as Error).message}`);
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
              print(`${r.customer.domain}\t${r.outcome}`);
              continue;
            }
            print(
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
