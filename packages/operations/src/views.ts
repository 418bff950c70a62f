import type {
  Carrier,
  CarrierHealth,
  Customer,
  CustomerPolicy,
  Extension,
  PhoneNumber,
} from "@centrex/store";

/** One suspension in force: which, why and since when (epoch ms; null when not recorded). */
export interface Suspension {
  readonly kind: "non-payment" | "pstn-partial" | "pstn-total";
  readonly reason: string | null;
  readonly since: number | null;
}

/**
 * A customer as operators see it: `status` is "suspended" as soon as any suspension is in
 * force (a PSTN-only suspension included), "terminated" after termination, else "active";
 * `suspensions` lists each one.
 */
export interface CustomerView {
  readonly id: number;
  readonly name: string;
  readonly domain: string;
  readonly status: "active" | "suspended" | "terminated";
  readonly suspensions: readonly Suspension[];
  readonly createdAt: number;
}

export function suspensionsOf(c: Customer, p: CustomerPolicy): Suspension[] {
  const out: Suspension[] = [];
  if (c.status === "suspended")
    out.push({ kind: "non-payment", reason: p.nonPaymentReason, since: p.nonPaymentSince });
  if (p.pstnSuspension !== "none")
    out.push({ kind: `pstn-${p.pstnSuspension}`, reason: p.pstnSuspensionReason, since: p.pstnSuspendedAt });
  return out;
}

export function customerView(c: Customer, p: CustomerPolicy): CustomerView {
  const suspensions = suspensionsOf(c, p);
  const status = c.status === "terminated" ? "terminated" : suspensions.length > 0 ? "suspended" : "active";
  return { id: c.id, name: c.name, domain: c.domain, status, suspensions, createdAt: c.createdAt };
}

/** "non-payment since 2026-12-05 08:00Z (unpaid invoice)", for one-line listings. */
export function describeSuspension(s: Suspension): string {
  const since = s.since === null ? "" : ` since ${new Date(s.since).toISOString().slice(0, 16)}Z`;
  return `${s.kind}${since}${s.reason === null ? "" : ` (${s.reason})`}`;
}

export interface CustomerDetail {
  readonly customer: CustomerView;
  readonly policy: CustomerPolicy;
  readonly extensions: number;
  readonly numbers: number;
  readonly pins: readonly string[];
}

export interface ExtensionView extends Extension {
  /** Current registrations (bindings not expired). */
  readonly registered: number;
}

/** A DID with its target named as operators name it (the extension or group number). */
export interface NumberView extends Omit<PhoneNumber, "target"> {
  readonly target: {
    readonly kind: "extension" | "group";
    readonly id: number;
    readonly number: string;
  } | null;
}

/** A carrier as shown: never its password, only whether one is set. */
export interface CarrierView extends Omit<Carrier, "password"> {
  readonly hasPassword: boolean;
  readonly routes: readonly { readonly id: number; readonly prefix: string }[];
  /** How each running node sees the carrier (listings only; not part of audit records). */
  readonly health?: readonly CarrierStateView[];
}

/** One node's view of a carrier, as the running switch recorded it. */
export interface CarrierStateView {
  readonly node: string;
  readonly state: "up" | "demoted";
  readonly reason: string | null;
  readonly since: number;
  readonly registration: string | null;
}

export function carrierView(
  c: Carrier,
  routes: readonly { id: number; prefix: string }[],
  health?: readonly CarrierHealth[],
): CarrierView {
  const { password, ...rest } = c;
  return {
    ...rest,
    hasPassword: password !== null,
    routes: routes.map((r) => ({ id: r.id, prefix: r.prefix })),
    ...(health !== undefined && {
      health: health
        .filter((h) => h.carrierId === c.id)
        .map(({ node, state, reason, since, registration }) => ({
          node,
          state,
          reason,
          since,
          registration,
        })),
    }),
  };
}
