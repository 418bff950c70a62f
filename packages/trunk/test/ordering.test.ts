import type { Carrier, CarrierCandidate } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { orderCandidates, orderSrv, weightedOrder } from "../src/index.js";

function cand(id: number, prefix: string, priority: number, weight: number): CarrierCandidate {
  const carrier = { id, name: `c${id}`, priority, weight } as Carrier;
  return { carrier, route: { id, carrierId: id, prefix, createdAt: 0 } };
}

test("longest prefix first, then priority; shorter prefixes stay as the last resort", () => {
  const rows = [cand(1, "33", 1, 1), cand(2, "336", 5, 1), cand(3, "33", 0, 1), cand(4, "", 0, 1)];
  assert.equal(
    orderCandidates(rows, () => 0).map((c) => c.name),
    ["c2", "c3", "c1", "c4"],
  );
});

test("weights share load among equal priorities (RFC 2782 selection)", () => {
  const rows = [cand(1, "33", 1, 90), cand(2, "33", 1, 10)];
  let first1 = 0;
  let seed = 1;
  const random = (): number => {
    seed = (seed * 16807) % 2147483647; // deterministic Park–Miller
    return seed / 2147483647;
  };
  for (let i = 0; i < 2000; i++) if (orderCandidates(rows, random)[0]?.name === "c1") first1++;
  assert.ok(first1 > 1700 && first1 < 1900, `c1 first ${first1} / 2000 times`);
});

test("SRV order: priority ascending, each priority's records all present", () => {
  const recs = [
    { name: "b", priority: 20, weight: 0 },
    { name: "a", priority: 10, weight: 5 },
    { name: "c", priority: 10, weight: 5 },
  ];
  const out = orderSrv(recs, () => 0.99);
  assert.equal(out.map((r) => r.name).slice(2), ["b"]);
  assert.equal(
    out
      .map((r) => r.name)
      .slice(0, 2)
      .sort(),
    ["a", "c"],
  );
  assert.equal(weightedOrder([{ weight: 0 }, { weight: 0 }], () => 0.5).length, 2);
});

test.run();
