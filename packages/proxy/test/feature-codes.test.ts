import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseFeatureCode } from "../src/feature-codes.js";

test("forwarding codes set, with the target; the phone's %23 is a #", () => {
  assert.equal(parseFeatureCode("*21*0612345678#"), {
    kind: "forward",
    which: "always",
    target: "0612345678",
  });
  assert.equal(parseFeatureCode("*21*202%23"), { kind: "forward", which: "always", target: "202" });
  assert.equal(parseFeatureCode("*67*+33612345678#"), {
    kind: "forward",
    which: "busy",
    target: "+33612345678",
  });
  assert.equal(parseFeatureCode("*62*203#"), { kind: "forward", which: "unreachable", target: "203" });
  assert.equal(parseFeatureCode("*61*203*15#"), {
    kind: "forward",
    which: "no-answer",
    target: "203",
    seconds: 15,
  });
  assert.equal(parseFeatureCode("*61*203#"), { kind: "forward", which: "no-answer", target: "203" });
});

test("clearing codes, all-clear and do-not-disturb", () => {
  assert.equal(parseFeatureCode("#21#"), { kind: "forward-clear", which: "always" });
  assert.equal(parseFeatureCode("#61%23"), { kind: "forward-clear", which: "no-answer" });
  assert.equal(parseFeatureCode("%2361%23"), { kind: "forward-clear", which: "no-answer" });
  assert.equal(parseFeatureCode("#002#"), { kind: "forward-clear-all" });
  assert.equal(parseFeatureCode("*26#"), { kind: "dnd", on: true });
  assert.equal(parseFeatureCode("#26#"), { kind: "dnd", on: false });
});

test("malformed forwarding codes are invalid (484), other numbers are not feature codes", () => {
  assert.is(parseFeatureCode("*21*#")?.kind, "invalid");
  assert.is(parseFeatureCode("*21*12ab#")?.kind, "invalid");
  assert.is(parseFeatureCode("*21*202*20#")?.kind, "invalid"); // a ring time only for *61*
  assert.is(parseFeatureCode("*61*202*2#")?.kind, "invalid");
  assert.is(parseFeatureCode("*61*202*200#")?.kind, "invalid");
  assert.is(parseFeatureCode("0612345678"), undefined);
  assert.is(parseFeatureCode("202"), undefined);
  assert.is(parseFeatureCode("*1234#0612345678"), undefined); // a PIN prefix
  assert.is(parseFeatureCode("#99#"), undefined);
});

test.run();
