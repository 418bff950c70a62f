import { NotFoundError, ValidationError } from "../errors.js";
import type { PolicyRepository } from "../repositories.js";
import type { BarringOverride, CustomerPolicy, PolicyPatch, PstnSuspension } from "../types.js";
import {
  checkCommune,
  checkDepartment,
  checkE164,
  checkInteger,
  checkIsoDate,
  checkOneOf,
  checkText,
} from "../validate.js";
import { bool, type Ctx, type Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

const SUSPENSIONS: readonly PstnSuspension[] = ["none", "partial", "total"];
const OVERRIDES: readonly BarringOverride[] = ["allow", "pin", "deny"];

interface Row {
  customer_id: number;
  emergency_department: string | null;
  emergency_commune: string | null;
  barring_overrides: string;
  pstn_suspension: PstnSuspension;
  pstn_suspension_reason: string | null;
  pstn_suspended_at: number | null;
  non_payment_since: number | null;
  non_payment_reason: string | null;
  fallback_number: string | null;
  telecom_professional: number;
  delivery_date: string | null;
  updated_at: number;
}

const toPolicy = (r: Row): CustomerPolicy => ({
  customerId: r.customer_id,
  emergencyDepartment: r.emergency_department,
  emergencyCommune: r.emergency_commune,
  barringOverrides: JSON.parse(r.barring_overrides) as Record<string, BarringOverride>,
  pstnSuspension: r.pstn_suspension,
  pstnSuspensionReason: r.pstn_suspension_reason,
  pstnSuspendedAt: r.pstn_suspended_at,
  nonPaymentSince: r.non_payment_since,
  nonPaymentReason: r.non_payment_reason,
  fallbackNumber: r.fallback_number,
  telecomProfessional: bool(r.telecom_professional),
  deliveryDate: r.delivery_date,
  updatedAt: r.updated_at,
});

function defaults(customerId: number, createdAt: number): Row {
  return {
    customer_id: customerId,
    emergency_department: null,
    emergency_commune: null,
    barring_overrides: "{}",
    pstn_suspension: "none",
    pstn_suspension_reason: null,
    pstn_suspended_at: null,
    non_payment_since: null,
    non_payment_reason: null,
    fallback_number: null,
    telecom_professional: 0,
    delivery_date: null,
    updated_at: createdAt,
  };
}

function checkOverrides(value: unknown): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError("barringOverrides", "barringOverrides must be an object of class → verdict");
  }
  for (const [cls, verdict] of Object.entries(value)) {
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(cls)) {
      throw new ValidationError("barringOverrides", `barringOverrides: "${cls}" is not a class name`);
    }
    checkOneOf(verdict as BarringOverride, OVERRIDES, `barringOverrides.${cls}`);
  }
  return JSON.stringify(value);
}

const optTime = (v: number | null): number | null =>
  v === null ? null : checkInteger(v, "since", 0, Number.MAX_SAFE_INTEGER);

export class SqlitePolicies implements PolicyRepository {
  readonly #ctx: Ctx;
  readonly #get: Stmt<[number], Row>;
  readonly #customer: Stmt<[number], { created_at: number }>;
  readonly #upsert: Stmt<[Row], Row>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#get = db.prepare("SELECT * FROM customer_policies WHERE customer_id = ?");
    this.#customer = db.prepare("SELECT created_at FROM customers WHERE id = ?");
    this.#upsert = db.prepare(
      `INSERT OR REPLACE INTO customer_policies (customer_id, emergency_department, emergency_commune,
         barring_overrides, pstn_suspension, pstn_suspension_reason, pstn_suspended_at, non_payment_since,
         non_payment_reason, fallback_number, telecom_professional, delivery_date, updated_at)
       VALUES (@customer_id, @emergency_department, @emergency_commune, @barring_overrides, @pstn_suspension,
         @pstn_suspension_reason, @pstn_suspended_at, @non_payment_since, @non_payment_reason,
         @fallback_number, @telecom_professional, @delivery_date, @updated_at)
       RETURNING *`,
    );
  }

  #read(customerId: number): Row {
    const row = this.#get.get(customerId);
    if (row) return row;
    const customer = this.#customer.get(customerId);
    if (!customer) throw new NotFoundError("customer", customerId);
    return defaults(customerId, customer.created_at);
  }

  async get(customerId: number): Promise<CustomerPolicy> {
    return toPolicy(this.#read(customerId));
  }

  async update(customerId: number, patch: PolicyPatch): Promise<CustomerPolicy> {
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const next: Row = { ...this.#read(customerId), updated_at: this.#ctx.now() };
          if (patch.emergencyDepartment !== undefined || patch.emergencyCommune !== undefined) {
            const dep =
              patch.emergencyDepartment === undefined ? next.emergency_department : patch.emergencyDepartment;
            const com =
              patch.emergencyCommune === undefined ? next.emergency_commune : patch.emergencyCommune;
            if (dep === null && com === null) {
              next.emergency_department = null;
              next.emergency_commune = null;
            } else if (dep === null || com === null) {
              // Emergency calls are routed by commune: half a location routes nowhere right.
              throw new ValidationError(
                dep === null ? "emergencyDepartment" : "emergencyCommune",
                "emergency department and commune are declared together",
              );
            } else {
              next.emergency_department = checkDepartment(dep);
              next.emergency_commune = checkCommune(com, next.emergency_department);
            }
          }
          if (patch.barringOverrides !== undefined)
            next.barring_overrides = checkOverrides(patch.barringOverrides);
          if (patch.pstnSuspension !== undefined) {
            next.pstn_suspension = checkOneOf(patch.pstnSuspension, SUSPENSIONS, "pstnSuspension");
          }
          if (patch.pstnSuspensionReason !== undefined) {
            next.pstn_suspension_reason =
              patch.pstnSuspensionReason === null
                ? null
                : checkText(patch.pstnSuspensionReason, "pstnSuspensionReason");
          }
          if (patch.pstnSuspendedAt !== undefined) next.pstn_suspended_at = optTime(patch.pstnSuspendedAt);
          if (patch.nonPaymentSince !== undefined) next.non_payment_since = optTime(patch.nonPaymentSince);
          if (patch.nonPaymentReason !== undefined) {
            next.non_payment_reason =
              patch.nonPaymentReason === null ? null : checkText(patch.nonPaymentReason, "nonPaymentReason");
          }
          if (patch.fallbackNumber !== undefined) {
            next.fallback_number =
              patch.fallbackNumber === null ? null : checkE164(patch.fallbackNumber, "fallbackNumber");
          }
          if (patch.telecomProfessional !== undefined)
            next.telecom_professional = patch.telecomProfessional ? 1 : 0;
          if (patch.deliveryDate !== undefined) {
            next.delivery_date =
              patch.deliveryDate === null ? null : checkIsoDate(patch.deliveryDate, "deliveryDate");
          }
          return toPolicy(this.#upsert.get(next)!);
        })
        .immediate(),
    );
  }
}
