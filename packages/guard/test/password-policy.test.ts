import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  checkPasswordStrength,
  generatePassword,
  isKeyPattern,
  WeakPasswordError,
  weakCandidates,
} from "../src/index.js";

function reason(pw: string, ctx = { username: "201", realm: "pbx.test" }): string {
  try {
    checkPasswordStrength(pw, ctx);
    return "ok";
  } catch (err) {
    assert.instance(err, WeakPasswordError);
    return (err as WeakPasswordError).reason;
  }
}

test("the password svcrack found (passw0rd) and its cousins are refused", () => {
  assert.is(reason("passw0rd"), "length");
  assert.is(reason("Passw0rd2024!"), "common");
  assert.is(reason("P@ssw0rd!!2026"), "common");
  assert.is(reason("Welcome-2025"), "common");
  assert.is(reason("Secret-201x"), "common");
});

test("short and single-class passwords are refused", () => {
  assert.is(reason("Ab1!"), "length");
  assert.is(reason("abcdefghijkx"), "classes");
  assert.is(reason("8273649102"), "classes");
});

test("numeric keypad and keyboard patterns are refused", () => {
  for (const p of ["1234567890", "147258369", "2580258025", "1212121212", "9876543210", "159357"]) {
    assert.ok(isKeyPattern(p), p);
  }
  assert.is(reason("Qwerty-1234"), "common");
  assert.is(reason("1qaz2wsx3edc"), "classes");
  assert.is(reason("123456789012345678901"), "pattern", "long, but a keypad run");
  assert.not.ok(isKeyPattern("8273649102"));
});

test("the extension number or domain inside the password is refused", () => {
  assert.is(reason("Tr0ub4dor-201"), "contains-username");
  assert.is(reason("Pbx-Tr0ub4dor"), "contains-username");
});

test("strong passwords and long passphrases pass", () => {
  assert.is(reason("Tr0ub4dor&3x"), "ok");
  assert.is(reason("correct horse battery staple"), "ok");
});

test("generated passwords are strong, long and different each time", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = generatePassword({ username: "201", realm: "pbx.test" });
    assert.is(reason(p), "ok", p);
    assert.ok(p.length >= 20);
    seen.add(p);
  }
  assert.is(seen.size, 200);
});

test("a generated password never contains the account's own extension or domain label", () => {
  // 'pbx' drawn from the 57-letter alphabet is frequent enough to show up in 20,000 draws
  for (let i = 0; i < 20_000; i++) {
    assert.is(reason(generatePassword({ username: "201", realm: "pbx.test" })), "ok");
  }
});

test("weak candidates find a weak password from its stored HA1 only", () => {
  const ha1 = (pw: string) => createHash("md5").update(`201:pbx.test:${pw}`).digest("hex");
  const stored = ha1("passw0rd");
  const hit = weakCandidates("201").find((c) => ha1(c) === stored);
  assert.is(hit, "passw0rd");
  for (const p of ["1234", "201201", "secret-201", "Password1", "147258369"]) {
    assert.ok(weakCandidates("201").includes(p), p);
  }
});

test.run();
