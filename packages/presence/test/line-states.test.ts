import { test } from "uvu";
import * as assert from "uvu/assert";
import { type DialogView, dialogInfoBody, LineStates, messageSummaryBody } from "../src/index.js";

const call = {
  callId: "abc@host",
  fromTag: "f1",
  dialled: "202",
  caller: { customerId: 1, extension: "201", uri: "sip:201@pbx.test" },
  callee: { customerId: 1, extension: "202", uri: "sip:202@pbx.test" },
};

test("a call moves both lamps early → confirmed → terminated, then the lines are idle", () => {
  const lines = new LineStates();
  const seen: string[] = [];
  lines.onChange = (c, ext, dialogs) => {
    seen.push(`${c}:${ext}:${dialogs.map((d) => `${d.direction}/${d.state}`).join(",")}`);
  };
  lines.onCallStarted(call);
  assert.is(lines.dialogs(1, "202")[0]?.state, "early");
  lines.onCallAnswered({ ...call, toTag: "t9" });
  assert.is(lines.dialogs(1, "202")[0]?.localTag, "t9", "the callee's own tag is the To tag");
  lines.onCallAnswered({ ...call, toTag: "t9" }); // a repeated event changes nothing
  lines.onCallEnded({ ...call, toTag: "t9" });
  assert.equal(seen, [
    "1:201:initiator/early",
    "1:202:recipient/early",
    "1:201:initiator/confirmed",
    "1:202:recipient/confirmed",
    "1:201:initiator/terminated",
    "1:202:recipient/terminated",
  ]);
  assert.is(lines.dialogs(1, "201").length, 0);
  assert.is(lines.dialogs(1, "202").length, 0);
});

test("a ring group: the members rung show ringing, the one who answers busy, the others idle again", () => {
  const lines = new LineStates();
  const group = {
    ...call,
    dialled: "600",
    callee: { customerId: 1, extension: "600", uri: "sip:600@pbx.test" },
  };
  const m = (ext: string) => ({ customerId: 1, extension: ext, uri: `sip:${ext}@pbx.test` });
  lines.onCallStarted(group);
  lines.onCallRinging({ ...group, ringing: [m("202"), m("203")] });
  assert.is(lines.dialogs(1, "202")[0]?.state, "early");
  assert.is(lines.dialogs(1, "203")[0]?.state, "early");
  // A hunt moves on: 202 stops ringing, 204 starts.
  lines.onCallRinging({ ...group, ringing: [m("204")] });
  assert.is(lines.dialogs(1, "202").length, 0);
  assert.is(lines.dialogs(1, "204")[0]?.state, "early");
  lines.onCallAnswered({ ...group, callee: m("204"), toTag: "t1" });
  assert.is(lines.dialogs(1, "204")[0]?.state, "confirmed");
  assert.is(lines.dialogs(1, "203").length, 0);
  assert.is(lines.dialogs(1, "600").length, 0, "the group's own line is not left ringing");
  lines.onCallEnded({ ...group, callee: m("204"), toTag: "t1" });
  for (const ext of ["201", "202", "203", "204", "600"]) assert.is(lines.dialogs(1, ext).length, 0, ext);
});

test("an end never started (a refused call of an unknown line) notifies nobody", () => {
  const lines = new LineStates();
  let n = 0;
  lines.onChange = () => n++;
  lines.onCallEnded(call);
  assert.is(n, 0);
});

test("a PSTN caller has no lamp; the called extension's shows the number", () => {
  const lines = new LineStates();
  lines.onCallStarted({ ...call, caller: { customerId: 1, uri: "sip:+33612345678@carrier" } });
  assert.is(lines.dialogs(1, "202")[0]?.remote, "sip:+33612345678@carrier");
});

test("dialog-info: full state, escaped, no dialog element when idle", () => {
  const idle = dialogInfoBody("sip:202@pbx.test", 0, []).toString();
  assert.match(idle, /version="0" state="full" entity="sip:202@pbx.test">\r\n<\/dialog-info>/);
  const d: DialogView = {
    id: "1",
    callId: 'a"b<c>',
    localTag: "x",
    remoteTag: undefined,
    direction: "recipient",
    state: "early",
    remote: "sip:201@pbx.test",
  };
  const busy = dialogInfoBody("sip:202@pbx.test", 3, [d]).toString();
  assert.match(busy, /call-id="a&quot;b&lt;c&gt;"/);
  assert.match(busy, /local-tag="x" direction="recipient">\r\n<state>early<\/state>/);
  assert.not.match(busy, /remote-tag/);
});

test("message-summary: the lamp is on while new messages wait", () => {
  assert.is(
    messageSummaryBody("sip:202@pbx.test", { newMessages: 2, oldMessages: 1 }).toString(),
    "Messages-Waiting: yes\r\nMessage-Account: sip:202@pbx.test\r\nVoice-Message: 2/1\r\n",
  );
  assert.match(
    messageSummaryBody("sip:202@pbx.test", { newMessages: 0, oldMessages: 4 }).toString(),
    /^Messages-Waiting: no/,
  );
});

test("a party that left a call going on (an outside party's transferor) is idle of it at once, and not told of its end again", () => {
  const lines = new LineStates();
  const seen: string[] = [];
  lines.onChange = (c, ext, dialogs) => {
    seen.push(`${c}:${ext}:${dialogs.map((d) => `${d.direction}/${d.state}`).join(",")}`);
  };
  // The carrier's caller (no extension) answered by 202, who transfers it and leaves.
  const inbound = { ...call, caller: { customerId: 1, uri: "sip:+33987654321@127.0.0.2" } };
  lines.onCallStarted(inbound);
  lines.onCallAnswered({ ...inbound, toTag: "t9" });
  lines.onCallPartyLeft({ ...inbound, toTag: "t9", left: "callee" });
  assert.is(lines.dialogs(1, "202").length, 0, "202 is idle while the call goes on");
  lines.onCallEnded({ ...inbound, toTag: "t9" });
  assert.equal(seen, ["1:202:recipient/early", "1:202:recipient/confirmed", "1:202:recipient/terminated"]);
});

test.run();
