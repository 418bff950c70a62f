// Handsets after a SIGKILL of the primary, as a model calibrated on baresip 1.0's measured
// behaviour (/work/shared/PHONES-FAILOVER.md), for the kill at a random point of each phone's
// refresh cycle. Not a load test: the pair's own timings are inputs, taken from the measured
// end-to-end runs (test/failover-worst-case.test.ts, test/failover-dns.test.ts).
//
//   npx tsx bench/failover/model.ts [--phones 1000] [--refresh 6] [--takeover 0.8] [--seed 1]
//
// Per phone (calibration, each from the baresip measurements):
// - every new request resolves again unless the caching mode says otherwise (`none` = baresip;
//   `ttl` = cached for the TTL, Yealink's default; `sticky` = kept until a failure);
// - a request to a dead UDP target is retransmitted at +0.5, +1.5, +3.5 s then every 4 s, and
//   fails after 32 s (Timer F); ICMP errors do not end it;
// - with SRV, the next target is tried only after those 32 s, and every new request (the
//   authenticated retry after a 401 included) starts again at the top priority;
// - after a failed REGISTER, the next attempt comes a random 30–60 s later, doubling after each
//   further failure;
// - a REGISTER the standby answers gets 401 (its nonce differs), the retry 200.
// The pair: takeover (and the DNS switch, and the service address moving) `--takeover` s after
// the kill; DNS before takeover names the primary first, after it the standby first.

type Mode = "a" | "srv" | "vip";
type Cache = "none" | "ttl" | "sticky";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i] ?? "", process.argv[i + 1] ?? "");
const PHONES = Number(args.get("--phones") ?? 1000);
const REFRESH = Number(args.get("--refresh") ?? 6);
const TAKEOVER = Number(args.get("--takeover") ?? 0.8);
const TTL = Number(args.get("--ttl") ?? 30);
let seed = Number(args.get("--seed") ?? 1);
const random = (): number => {
  // mulberry32: the same figures for the same seed.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const RETRANSMITS = [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5];
const TIMER_F = 32;

/** When a request sent at `s` to the service address is first answered (the standby holds it from TAKEOVER). */
function vipAnswer(s: number): number | undefined {
  for (const r of RETRANSMITS) if (s + r >= TAKEOVER) return s + r;
  return undefined;
}

/** One phone's time to re-register after a kill at 0; its next refresh is at `first`. */
function phone(mode: Mode, cache: Cache, first: number, lastResolve: number): number {
  let t = first;
  let resolvedAt = lastResolve; // when its cached answer was taken (ttl/sticky)
  let stickyDead = false;
  let backoff = 30 + 30 * random();
  for (let attempt = 0; attempt < 20; attempt++) {
    // Two requests make a registration on the standby: REGISTER (401), then the retry.
    let ok = true;
    for (let req = 0; req < 2 && ok; req++) {
      if (mode === "vip") {
        const answered = vipAnswer(t);
        if (answered === undefined) ok = false;
        else t = answered;
        continue;
      }
      // What the phone's DNS answer says, by when it was taken.
      let resolveTime = t;
      if (cache === "ttl" && t < resolvedAt + TTL) resolveTime = resolvedAt;
      if (cache === "sticky" && !stickyDead) resolveTime = resolvedAt;
      if (resolveTime === t) resolvedAt = t;
      const standbyFirst = resolveTime >= TAKEOVER;
      if (standbyFirst) continue; // answered at once
      // The dead primary first: Timer F; SRV then tries the standby, A has nothing else.
      t += TIMER_F;
      if (mode === "srv") continue;
      ok = false;
    }
    if (ok) return t;
    stickyDead = true;
    t += backoff;
    backoff *= 2;
  }
  return Number.POSITIVE_INFINITY;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const rows: string[] = [];
for (const [mode, cache] of [
  ["vip", "none"],
  ["srv", "none"],
  ["a", "none"],
  ["a", "ttl"],
  ["a", "sticky"],
  ["srv", "ttl"],
] as [Mode, Cache][]) {
  const times: number[] = [];
  for (let i = 0; i < PHONES; i++) {
    const first = random() * REFRESH; // the kill at a random point of its refresh cycle
    const last = first - REFRESH - random() * TTL; // its cached answer, taken before the kill
    times.push(phone(mode, cache, first, last));
  }
  times.sort((x, y) => x - y);
  const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} s` : "never");
  rows.push(
    `| ${mode} | ${cache} | ${PHONES} | ${f(pct(times, 50))} | ${f(pct(times, 95))} | ${f(times[times.length - 1] ?? 0)} |`,
  );
}
console.log(`refresh every ${REFRESH} s, takeover ${TAKEOVER} s after the kill, TTL ${TTL} s`);
console.log("| mode | DNS cache | phones | p50 | p95 | max |\n| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
