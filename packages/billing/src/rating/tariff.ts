import { DESTINATION_CLASSES, type DestinationClass, isDestinationClass } from "@centrex/dialplan";
import { TariffError } from "../errors.js";

/** Charged time: at least `firstSeconds` once answered, then whole steps of `thenSeconds`. */
export interface BillingIncrement {
  readonly firstSeconds: number;
  readonly thenSeconds: number;
}

/** A price for a destination class or, more specific, an E.164 prefix (digits, no "+"). */
export interface Rate {
  readonly class?: DestinationClass;
  readonly prefix?: string;
  readonly perMinuteMillicents: number;
  readonly setupMillicents: number;
  readonly increment: BillingIncrement;
}

export interface Tariff {
  readonly name: string;
  readonly rates: readonly Rate[];
}

/** A subscription plan: monthly price per phone with an account, and the unlimited classes. */
export interface Plan {
  readonly name: string;
  readonly perPhoneMonthlyCents: number;
  readonly unlimited: readonly DestinationClass[];
}

/** Tariffs as data (a versioned JSON file), with the per-customer choice of plan and tariff. */
export interface TariffBook {
  readonly version: 1;
  readonly tariffs: readonly Tariff[];
  readonly plans: readonly Plan[];
  readonly defaults: { readonly plan: string; readonly tariff: string };
  /** Customer domain → plan/tariff names, when not the defaults. */
  readonly accounts: Readonly<Record<string, { readonly plan?: string; readonly tariff?: string }>>;
  /** Below this monthly call consumption (cents, before VAT), invoices may go bimonthly (CG art. 9). */
  readonly bimonthlyThresholdCents: number;
  readonly vatPercent: number;
}

const obj = (v: unknown, path: string): Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new TariffError(`${path}: expected an object`, path);
  return v as Record<string, unknown>;
};
const int = (v: unknown, path: string, min = 0): number => {
  if (!Number.isSafeInteger(v) || (v as number) < min)
    throw new TariffError(`${path}: expected an integer >= ${min}, got ${JSON.stringify(v)}`, path);
  return v as number;
};
const str = (v: unknown, path: string): string => {
  if (typeof v !== "string" || v === "") throw new TariffError(`${path}: expected a string`, path);
  return v;
};
const arr = (v: unknown, path: string): unknown[] => {
  if (!Array.isArray(v)) throw new TariffError(`${path}: expected an array`, path);
  return v;
};
const cls = (v: unknown, path: string): DestinationClass => {
  if (!isDestinationClass(v))
    throw new TariffError(
      `${path}: expected one of ${DESTINATION_CLASSES.join(", ")}, got ${JSON.stringify(v)}`,
      path,
    );
  return v;
};

function parseRate(v: unknown, path: string): Rate {
  const o = obj(v, path);
  if ((o.class === undefined) === (o.prefix === undefined))
    throw new TariffError(`${path}: give exactly one of class or prefix`, path);
  const inc =
    o.increment === undefined ? { firstSeconds: 1, thenSeconds: 1 } : obj(o.increment, `${path}.increment`);
  const rate: Rate = {
    perMinuteMillicents: int(o.perMinuteMillicents, `${path}.perMinuteMillicents`),
    setupMillicents: o.setupMillicents === undefined ? 0 : int(o.setupMillicents, `${path}.setupMillicents`),
    increment: {
      firstSeconds: int(inc.firstSeconds, `${path}.increment.firstSeconds`, 1),
      thenSeconds: int(inc.thenSeconds, `${path}.increment.thenSeconds`, 1),
    },
    ...(o.class !== undefined && { class: cls(o.class, `${path}.class`) }),
  };
  if (o.prefix !== undefined) {
    const p = str(o.prefix, `${path}.prefix`);
    if (!/^\d{1,15}$/.test(p))
      throw new TariffError(`${path}.prefix: expected E.164 digits without "+"`, path);
    return { ...rate, prefix: p };
  }
  return rate;
}

/** Validates a tariff book, naming the faulty key (`tariffs[0].rates[2].perMinuteMillicents: …`). */
export function parseTariffBook(v: unknown): TariffBook {
  const o = obj(v, "book");
  if (o.version !== 1)
    throw new TariffError(`version: expected 1, got ${JSON.stringify(o.version)}`, "version");
  const tariffs = arr(o.tariffs, "tariffs").map((t, i) => {
    const to = obj(t, `tariffs[${i}]`);
    return {
      name: str(to.name, `tariffs[${i}].name`),
      rates: arr(to.rates, `tariffs[${i}].rates`).map((r, j) => parseRate(r, `tariffs[${i}].rates[${j}]`)),
    };
  });
  const plans = arr(o.plans, "plans").map((p, i) => {
    const po = obj(p, `plans[${i}]`);
    return {
      name: str(po.name, `plans[${i}].name`),
      perPhoneMonthlyCents: int(po.perPhoneMonthlyCents, `plans[${i}].perPhoneMonthlyCents`),
      unlimited: arr(po.unlimited ?? [], `plans[${i}].unlimited`).map((c, j) =>
        cls(c, `plans[${i}].unlimited[${j}]`),
      ),
    };
  });
  const d = obj(o.defaults, "defaults");
  const defaults = { plan: str(d.plan, "defaults.plan"), tariff: str(d.tariff, "defaults.tariff") };
  const accounts: Record<string, { plan?: string; tariff?: string }> = {};
  for (const [domain, a] of Object.entries(obj(o.accounts ?? {}, "accounts"))) {
    const ao = obj(a, `accounts.${domain}`);
    accounts[domain] = {
      ...(ao.plan !== undefined && { plan: str(ao.plan, `accounts.${domain}.plan`) }),
      ...(ao.tariff !== undefined && { tariff: str(ao.tariff, `accounts.${domain}.tariff`) }),
    };
  }
  const book: TariffBook = {
    version: 1,
    tariffs,
    plans,
    defaults,
    accounts,
    bimonthlyThresholdCents: int(o.bimonthlyThresholdCents ?? 0, "bimonthlyThresholdCents"),
    vatPercent: int(o.vatPercent ?? 20, "vatPercent"),
  };
  for (const [domain, a] of [["defaults", defaults] as const, ...Object.entries(accounts)]) {
    if (a.plan !== undefined && !plans.some((p) => p.name === a.plan))
      throw new TariffError(
        `${domain === "defaults" ? "defaults" : `accounts.${domain}`}.plan: no plan ${a.plan}`,
      );
    if (a.tariff !== undefined && !tariffs.some((t) => t.name === a.tariff))
      throw new TariffError(
        `${domain === "defaults" ? "defaults" : `accounts.${domain}`}.tariff: no tariff ${a.tariff}`,
      );
  }
  return book;
}

/** The plan and tariff of a customer (by domain). */
export function accountOf(book: TariffBook, domain: string): { plan: Plan; tariff: Tariff } {
  const a = book.accounts[domain] ?? {};
  const plan = book.plans.find((p) => p.name === (a.plan ?? book.defaults.plan))!;
  const tariff = book.tariffs.find((t) => t.name === (a.tariff ?? book.defaults.tariff))!;
  return { plan, tariff };
}
