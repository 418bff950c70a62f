import { ApiError } from "../errors.js";

/** Epoch ms of a "YYYY-MM-DD" UTC midnight, or a 400 naming `field` when it is no real day. */
export function dayStart(value: string, field: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new ApiError(400, "invalid", `${field}: ${value} is not a date YYYY-MM-DD`, field);
  }
  return ms;
}
