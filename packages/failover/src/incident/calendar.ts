/*
 * The French business calendar behind the repair commitment (service terms rule 21): business
 * hours are 09:00–20:00, Europe/Paris wall-clock time, on working days (Monday–Friday that are
 * not public holidays). All instants are epoch milliseconds; civil dates are `YYYY-MM-DD`.
 */

export const PARIS = "Europe/Paris";
export const BUSINESS_OPEN_MINUTE = 9 * 60;
export const BUSINESS_CLOSE_MINUTE = 20 * 60;

const DAY_MS = 86_400_000;

export interface CivilDate {
  y: number;
  /** 1–12 */
  m: number;
  d: number;
}

const pad = (n: number): string => String(n).padStart(2, "0");
export const isoDate = (c: CivilDate): string => `${c.y}-${pad(c.m)}-${pad(c.d)}`;

function addDays(c: CivilDate, n: number): CivilDate {
  const t = new Date(Date.UTC(c.y, c.m - 1, c.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** Easter Sunday (Gregorian), by the anonymous Gregorian (Meeus/Jones/Butcher) algorithm. */
export function easterSunday(year: number): CivilDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { y: year, m: month, d: day };
}

export interface HolidayOptions {
  /** Alsace-Moselle also observes Good Friday and 26 December. Default false. */
  alsaceMoselle?: boolean;
}

/**
 * The eleven French public holidays of `year` (Code du travail L3133-1), sorted: 1 January,
 * Easter Monday, 1 May, 8 May, Ascension (Easter + 39), Whit Monday (Easter + 50), 14 July,
 * 15 August, 1 November, 11 November, 25 December.
 */
export function frenchPublicHolidays(year: number, opts: HolidayOptions = {}): string[] {
  const easter = easterSunday(year);
  const fixed = [
    [1, 1],
    [5, 1],
    [5, 8],
    [7, 14],
    [8, 15],
    [11, 1],
    [11, 11],
    [12, 25],
  ].map(([m, d]) => ({ y: year, m: m as number, d: d as number }));
  const days = [...fixed, addDays(easter, 1), addDays(easter, 39), addDays(easter, 50)];
  if (opts.alsaceMoselle === true) days.push(addDays(easter, -2), { y: year, m: 12, d: 26 });
  return days.map(isoDate).sort();
}

const holidayCache = new Map<string, ReadonlySet<string>>();
function holidaySet(year: number, opts: HolidayOptions): ReadonlySet<string> {
  const key = `${year}:${opts.alsaceMoselle === true}`;
  let s = holidayCache.get(key);
  if (s === undefined) {
    s = new Set(frenchPublicHolidays(year, opts));
    holidayCache.set(key, s);
  }
  return s;
}

export function isWorkingDay(c: CivilDate, opts: HolidayOptions = {}): boolean {
  const dow = new Date(Date.UTC(c.y, c.m - 1, c.d)).getUTCDay();
  if (dow === 0 || dow === 6) return false;
  return !holidaySet(c.y, opts).has(isoDate(c));
}

// Made on first use: building a time-zone formatter loads ICU's zone data (~40 ms of CPU), which
// `centrex start` would otherwise pay on its way to answering calls, needed or not.
let parisFormat: Intl.DateTimeFormat | undefined;
const parisParts = (): Intl.DateTimeFormat =>
  (parisFormat ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: PARIS,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }));

/** Paris wall-clock fields of an instant. */
export function parisTime(at: number): CivilDate & { hour: number; minute: number; second: number } {
  const f: Record<string, number> = {};
  for (const p of parisParts().formatToParts(new Date(at)))
    if (p.type !== "literal") f[p.type] = Number(p.value);
  return {
    y: f.year ?? 0,
    m: f.month ?? 0,
    d: f.day ?? 0,
    hour: f.hour ?? 0,
    minute: f.minute ?? 0,
    second: f.second ?? 0,
  };
}

/** UTC offset of Paris at `at`, in ms (3600000 in winter, 7200000 in summer). */
function parisOffset(at: number): number {
  const p = parisTime(at);
  const wall = Date.UTC(p.y, p.m - 1, p.d, p.hour, p.minute, p.second);
  return wall - Math.floor(at / 1000) * 1000;
}

/** The instant of a Paris wall-clock time (unambiguous away from the 02:00–03:00 DST switch). */
export function parisInstant(c: CivilDate, minuteOfDay: number): number {
  const wall = Date.UTC(c.y, c.m - 1, c.d, 0, minuteOfDay);
  const guess = wall - parisOffset(wall);
  return wall - parisOffset(guess);
}

export interface BusinessWindow {
  date: string;
  open: number;
  close: number;
}

/** Business windows of the working days from the Paris date of `from` onward, lazily. */
export function* businessWindows(from: number, opts: HolidayOptions = {}): Generator<BusinessWindow> {
  const p = parisTime(from);
  let day: CivilDate = { y: p.y, m: p.m, d: p.d };
  for (let i = 0; i < 3700; i++, day = addDays(day, 1)) {
    if (!isWorkingDay(day, opts)) continue;
    yield {
      date: isoDate(day),
      open: parisInstant(day, BUSINESS_OPEN_MINUTE),
      close: parisInstant(day, BUSINESS_CLOSE_MINUTE),
    };
  }
}

/** Business time (ms) between two instants: the overlap with 09:00–20:00 on working days. */
export function businessMsBetween(start: number, end: number, opts: HolidayOptions = {}): number {
  if (end <= start) return 0;
  let total = 0;
  for (const w of businessWindows(start, opts)) {
    if (w.open >= end) break;
    total += Math.max(0, Math.min(end, w.close) - Math.max(start, w.open));
  }
  return total;
}

/** The instant at which `ms` of business time will have elapsed since `start`. */
export function addBusinessMs(start: number, ms: number, opts: HolidayOptions = {}): number {
  let left = ms;
  for (const w of businessWindows(start, opts)) {
    const from = Math.max(start, w.open);
    const avail = Math.max(0, w.close - from);
    if (left <= avail && avail > 0) return from + left;
    left -= avail;
  }
  return start + ms + 3700 * DAY_MS;
}

/** Calendar quarter of an instant in Paris: `2026-Q4`. */
export function parisQuarter(at: number): string {
  const p = parisTime(at);
  return `${p.y}-Q${Math.floor((p.m - 1) / 3) + 1}`;
}
