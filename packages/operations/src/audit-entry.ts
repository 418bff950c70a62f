import type { Store } from "@centrex/store";
import { invalid } from "./errors.js";

/** Who asks for a change: "cli:<os user>", "api:<token name>", "system:fraud"… Recorded as is. */
export type Actor = string;

/** Refuses a change nobody is named for: the audit trail must say who. */
export function checkActor(actor: Actor): Actor {
  if (typeof actor !== "string" || actor.trim() === "" || actor.length > 200)
    throw invalid("actor", `who made the change must be named (1 to 200 characters), got "${String(actor)}"`);
  return actor;
}

/**
 * Appends a change's audit entry inside its transaction (`tx`): who, what, the customer (id
 * and domain) and before/after. Callers never put a secret in `detail`.
 */
export async function appendAudit(
  tx: Store,
  actor: Actor,
  action: string,
  customer: { readonly id: number; readonly domain: string } | null,
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.audit.append({
    actor,
    action,
    customerId: customer?.id ?? null,
    detail: customer === null ? detail : { customer: customer.domain, ...detail },
  });
}
