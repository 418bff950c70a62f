import type { LedgerKey, TariffBook } from "@centrex/billing";
import type { Customer, Store } from "@centrex/store";
import type { FastifyRequest } from "fastify";
import { notFound } from "./errors.js";

/** What every route module is given. */
export interface RouteContext {
  readonly store: Store;
  readonly ledgerKey: LedgerKey | undefined;
  readonly tariffs: TariffBook | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    /** "api:<token name>", set by the auth hook; recorded in the audit log. */
    actor: string;
  }
}

export async function customerOf(store: Store, domain: string): Promise<Customer> {
  const c = await store.customers.findByDomain(domain.toLowerCase());
  if (c === undefined) throw notFound(`customer ${domain}`);
  return c;
}

export async function audit(
  ctx: RouteContext,
  req: FastifyRequest,
  action: string,
  customerId: number | null,
  detail: unknown,
): Promise<void> {
  await ctx.store.audit.append({ actor: req.actor, action, customerId, detail });
}
