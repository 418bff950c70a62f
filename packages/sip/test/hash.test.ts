import { createHash, createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HmacSha256 } from "../src/hash/hmac-sha256.js";
import { hashHex } from "../src/hash/one-shot-hash.js";

function mac(key: Buffer, prefix: string, head: Buffer, text: string, length = 32): string {
  const out = Buffer.alloc(length + 4, 0xee);
  new HmacSha256(key).macInto(prefix, head, text, out, 2, length);
  assert.is(out[0], 0xee, "nothing written before the offset");
  assert.is(out[length + 2], 0xee, "nothing written past the length");
  return out.subarray(2, 2 + length).toString("hex");
}

test("HMAC-SHA-256: RFC 4231 test cases 1, 2 and 6 (key longer than the block)", () => {
  assert.is(
    mac(Buffer.alloc(20, 0x0b), "", Buffer.alloc(0), "Hi There"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assert.is(
    mac(Buffer.from("Jefe"), "what do ya want ", Buffer.alloc(0), "for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assert.is(
    mac(
      Buffer.alloc(131, 0xaa),
      "",
      Buffer.from("Test Using Larger Than Block-Size Key - Hash Key First"),
      "",
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
});

test("HMAC-SHA-256: same bytes as createHmac for UTF-8 text, a long message (scratch grows) and truncation", () => {
  const key = Buffer.from("0123456789abcdef0123456789abcdef");
  const h = new HmacSha256(key);
  for (const text of ["", "é€😀 realm", "x".repeat(300), "y".repeat(5000), "short again"]) {
    const head = Buffer.from([1, 2, 3, 4, 5, 6]);
    const want = createHmac("sha256", key).update("request\n").update(head).update(text, "utf8").digest();
    const got = Buffer.alloc(32);
    h.macInto("request\n", head, text, got, 0);
    assert.equal(got, want, `text of ${text.length} chars`);
    const part = Buffer.alloc(12);
    h.macInto("request\n", head, text, part, 0, 12);
    assert.equal(part, want.subarray(0, 12));
  }
});

test("hashHex: MD5 and SHA-256 as createHash, strings as UTF-8", () => {
  for (const data of ["", "alice:centrex:sécret", Buffer.from([0, 255, 7])]) {
    assert.is(hashHex("md5", data), createHash("md5").update(data).digest("hex"));
    assert.is(hashHex("sha256", data), createHash("sha256").update(data).digest("hex"));
  }
});

test.run();
