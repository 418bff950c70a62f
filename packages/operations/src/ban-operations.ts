import { isIP } from "node:net";
import type { Ban } from "@centrex/guard";
import type { Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { invalid, notFound } from "./errors.js";

/** What ban changes need of the running switch's guard (`@centrex/guard`'s SourceGuard has it). */
export interface BanControl {
  list(): Ban[];
  clear(address?: string): number;
  banManually(address: string, minutes: number, detail?: string): Ban;
}

/** A ban as the CLI and the API show it (times in ISO 8601). */
export interface BanView {
  readonly address: string;
  readonly reason: string;
  readonly since: string;
  readonly until: string;
  readonly offences: number;
  readonly detail: string;
}

const MAX_MINUTES = 525_600; // a year

/**
 * Sources the running switch refuses to answer. The ban list lives in the switch's memory,
 * so these run in the switch (the admin API; `centrex ban …` asks it). Each change appends its
 * audit entry in a store transaction and applies the in-memory change inside it, last: a
 * refused audit write leaves the ban list as it was.
 */
export class BanOperations {
  readonly #store: Store;
  readonly #control: BanControl | undefined;

  constructor(store: Store, control: BanControl | undefined) {
    this.#store = store;
    this.#control = control;
  }

  #bans(): BanControl {
    if (this.#control === undefined) throw new Error("no ban list given to Operations");
    return this.#control;
  }

  list(): BanView[] {
    return this.#bans().list().map(banView);
  }

  async add(actor: Actor, address: string, minutes: number): Promise<BanView> {
    checkActor(actor);
    const a = checkAddress(address);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES)
      throw invalid(
        "minutes",
        `minutes must be a whole number from 1 to ${MAX_MINUTES}, got "${String(minutes)}"`,
      );
    const bans = this.#bans();
    return this.#store.transaction(async (tx) => {
      await appendAudit(tx, actor, "security.ban", null, { address: a, minutes });
      return banView(bans.banManually(a, minutes));
    });
  }

  /** Lifts the ban on `address`, or every ban; resolves to how many were lifted. */
  async clear(actor: Actor, address?: string): Promise<number> {
    checkActor(actor);
    const a = address === undefined ? undefined : checkAddress(address);
    const bans = this.#bans();
    const lifted = bans.list().filter((b) => a === undefined || b.address === a);
    if (a !== undefined && lifted.length === 0) throw notFound(`no ban on ${a}`, "address");
    return this.#store.transaction(async (tx) => {
      await appendAudit(tx, actor, "security.ban-clear", null, {
        ...(a !== undefined && { address: a }),
        before: lifted.map((b) => ({
          address: b.address,
          reason: b.reason,
          until: new Date(b.until).toISOString(),
        })),
      });
      return bans.clear(a);
    });
  }
}

export function banView(b: Ban): BanView {
  return { ...b, since: new Date(b.since).toISOString(), until: new Date(b.until).toISOString() };
}

function checkAddress(address: string): string {
  if (typeof address !== "string" || isIP(address) === 0)
    throw invalid("address", `not an IP address: "${String(address)}"`);
  return address;
}
