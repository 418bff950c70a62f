import type { LedgerKey, TariffBook } from "@centrex/billing";
import type { Operations } from "@centrex/operations";
import type { Store } from "@centrex/store";

/** What every route module is given. Changes go through `ops` (rules, audit); `store` is for billing reads. */
export interface RouteContext {
  readonly store: Store;
  readonly ops: Operations;
  readonly ledgerKey: LedgerKey | undefined;
  readonly tariffs: TariffBook | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    /** "api:<token name>", set by the auth hook; recorded in the audit log. */
    actor: string;
    /** A customer administrator's token: its customer's domain (lower case); null for the operator. */
    customerScope: string | null;
  }
}
