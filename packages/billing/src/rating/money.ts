/*
 * Money is integers only: cents on invoices, millicents (1/1000 cent) for per-call amounts, so
 * a per-second price of a fraction of a cent is exact. Division rounds half up, explicitly.
 */

/** round(n / d) with halves rounded up (away from zero for positives); d > 0. */
export function divRoundHalfUp(n: number, d: number): number {
  if (n < 0) return -divRoundHalfUp(-n, d);
  return Math.floor((2 * n + d) / (2 * d));
}

export const millicentsToCents = (m: number): number => divRoundHalfUp(m, 1000);

/** "12.34" from 1234 cents. */
export function formatEuros(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}
