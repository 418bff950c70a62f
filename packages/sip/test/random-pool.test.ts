import { test } from "uvu";
import * as assert from "uvu/assert";
import { newBranch, newTag, randomBase64url, randomHex } from "../src/index.js";

// Tags, branches and Call-IDs come from a pool of random bytes: each byte handed out once,
// across refills (the pool holds 4 KiB; 20,000 draws of 6 bytes cross ~30 refills).
test("every draw is new, of the promised length and alphabet, across pool refills", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const h = randomHex(6);
    assert.match(h, /^[0-9a-f]{12}$/);
    seen.add(h);
  }
  assert.is(seen.size, 20_000);
  for (let i = 0; i < 1_000; i++) assert.match(randomBase64url(12), /^[A-Za-z0-9_-]{16}$/);
  assert.match(newTag(), /^[0-9a-f]{12}$/);
  assert.match(newBranch(), /^z9hG4bK[A-Za-z0-9_-]{16}$/);
  assert.throws(() => randomHex(5000), /at most 4096/);
});

test.run();
