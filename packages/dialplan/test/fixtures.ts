import { readFileSync } from "node:fs";
import {
  type CustomerPolicy,
  DEFAULT_NUMBERING_PLAN_PATH,
  type DialplanData,
  loadEmergencyTable,
  loadNumberingPlan,
  newCustomerPolicy,
  SAMPLE_EMERGENCY_TABLE_PATH,
} from "../src/index.js";

export const plan = loadNumberingPlan();
export const emergency = loadEmergencyTable(SAMPLE_EMERGENCY_TABLE_PATH);
export const data: DialplanData = { plan, emergency };

/** A fresh deep copy of the shipped plan JSON, for tests that break it on purpose. */
export function rawPlan(): Record<string, unknown> {
  return JSON.parse(readFileSync(DEFAULT_NUMBERING_PLAN_PATH, "utf8")) as Record<string, unknown>;
}

export function rawEmergency(): Record<string, unknown> {
  return JSON.parse(readFileSync(SAMPLE_EMERGENCY_TABLE_PATH, "utf8")) as Record<string, unknown>;
}

export const caller = { customerId: "acme", extension: "201" };

/** A declared customer in Paris with extensions 201, 202, 3000 and one PIN. */
export function acme(over: Partial<CustomerPolicy> = {}): CustomerPolicy {
  return {
    ...newCustomerPolicy("acme", { extensions: ["201", "202", "3000"] }),
    pins: [{ label: "boss", code: "1234" }],
    emergencyLocation: { department: "75", commune: "75056" },
    ...over,
  };
}

export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
export const MIN = 60_000;
